import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { createClientCert, createTestCa, freePort, startService, TestDnsServer, TestSocks5Server, type ServiceProcess, type TestCa } from '@tidings/testing';

/**
 * The egress service as a process, with its own DNS server, against upstreams on loopback
 * aliases. It runs only inside a network namespace that has nothing but loopback (npm test
 * makes one), so a proxy that got the address policy wrong still could not reach out.
 *
 * 127.0.0.2 stands in for a public address (the allow list names it alone); 127.0.0.3 is an
 * internal one (loopback, denied).
 */
const PUBLIC = '127.0.0.2';
const INTERNAL = '127.0.0.3';
/** Reachable only through the SOCKS5 route (EGRESS_SOCKS5_CIDRS), like a tailnet range. */
const TAILNET = '127.0.0.4';
/** Granted to one tailnet only (EGRESS_TAILNET_CIDRS), and behind the SOCKS5 route too. */
const GRANTED = '127.0.0.5';

describe('egress isolation', () => {
  let dns: TestDnsServer;
  let ca: TestCa;
  let expired: TestCa;
  let port: number;
  let egress: ServiceProcess;
  let proxyPort: number;
  let adminPort: number;
  const servers: (Server | TcpServer)[] = [];
  const hits: Record<string, { path: string; clientCn?: string; protocol?: string | null; headers?: IncomingHttpHeaders }[]> = { [PUBLIC]: [], [INTERNAL]: [], [TAILNET]: [], [GRANTED]: [] };
  let socks: TestSocks5Server;
  let stallPort: number;
  const stalled: import('node:net').Socket[] = [];
  let expiredPort: number;

  before(async () => {
    const interfaces = Object.keys(networkInterfaces());
    assert.deepEqual(interfaces, ['lo'], `these tests must run in a network namespace with only loopback (npm test does this as root); found ${interfaces.join(', ')}`);

    const dir = mkdtempSync(join(tmpdir(), 'egress-iso-'));
    ca = createTestCa(join(dir, 'ca'), ['public.test', 'rebind.test', 'cached.test', 'mixed.test', 'mtls.test', 'node.tailnet.test', 'granted.tailnet.test', PUBLIC]);
    expired = createTestCa(join(dir, 'expired'), ['expired.test'], { days: -1 });
    const client = createClientCert(join(dir, 'ca'), 'tidings-client');
    port = await freePort();

    // The same HTTPS upstream on both addresses; it asks for (but does not require) a client certificate.
    for (const address of [PUBLIC, INTERNAL, TAILNET, GRANTED]) {
      const server = createHttpsServer({ cert: readFileSync(ca.certFile), key: readFileSync(ca.keyFile), ca: [ca.caPem], requestCert: true, rejectUnauthorized: false }, (req, res) => {
        const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
        const cn = peer?.subject?.CN;
        hits[address]!.push({ path: req.url ?? '/', clientCn: Array.isArray(cn) ? cn[0] : cn, protocol: (req.socket as import('node:tls').TLSSocket).getProtocol(), headers: req.headers });
        if (req.url === '/redirect') return void res.writeHead(302, { location: `http://10.0.0.1:${port}/internal` }).end();
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello from ${address}`);
      });
      await new Promise<void>((resolve) => server.listen(port, address, resolve));
      servers.push(server);
    }
    // Accepts TCP and never speaks: TLS cannot complete.
    const stall = createTcpServer((socket) => stalled.push(socket));
    await new Promise<void>((resolve) => stall.listen(0, PUBLIC, resolve));
    stallPort = (stall.address() as AddressInfo).port;
    servers.push(stall);
    const expiredServer = createHttpsServer({ cert: readFileSync(expired.certFile), key: readFileSync(expired.keyFile) }, (_req, res) => res.end('expired'));
    await new Promise<void>((resolve) => expiredServer.listen(0, PUBLIC, resolve));
    expiredPort = (expiredServer.address() as AddressInfo).port;
    servers.push(expiredServer);

    dns = new TestDnsServer();
    const dnsAddress = await dns.start();
    for (const name of ['public.test', 'mtls.test', 'expired.test']) dns.set(name, { A: [PUBLIC] });
    dns.set('node.tailnet.test', { A: [TAILNET] });
    dns.set('granted.tailnet.test', { A: [GRANTED] });
    socks = new TestSocks5Server();
    const socksPort = await socks.start();

    proxyPort = await freePort();
    adminPort = await freePort();
    egress = await startService(
      'egress',
      {
        EGRESS_PORT: String(proxyPort),
        EGRESS_ADMIN_PORT: String(adminPort),
        EGRESS_ALLOW_CIDRS: `${PUBLIC}/32`,
        EGRESS_ALLOWED_PORTS: `${port},${stallPort},${expiredPort},443`,
        EGRESS_DNS_SERVERS: dnsAddress,
        EGRESS_EXTRA_CA_FILE: `${ca.caCertFile},${expired.caCertFile}`,
        EGRESS_CLIENT_CERT_FILE: client.certFile,
        EGRESS_CLIENT_KEY_FILE: client.keyFile,
        EGRESS_SOCKS5_PROXY: `127.0.0.1:${socksPort}`,
        EGRESS_SOCKS5_CIDRS: `${TAILNET}/32,${GRANTED}/32`,
        EGRESS_TAILNET_CIDRS: `a.example.com=${GRANTED}/32`,
        EGRESS_CONNECT_TIMEOUT_MS: '1000',
        EGRESS_READ_TIMEOUT_MS: '1000',
      },
      { healthUrl: `http://127.0.0.1:${adminPort}/health`, logDir: dir },
    );
  });

  after(async () => {
    await egress?.stop();
    await dns?.stop();
    await socks?.stop();
    for (const socket of stalled) socket.destroy();
    for (const server of servers) if ('closeAllConnections' in server) server.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  function viaProxy(target: string, headers: Record<string, string> = { 'x-tidings-tls': 'true' }) {
    return new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: proxyPort, method: 'GET', path: target, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end();
    });
  }
  const code = (r: { headers: IncomingHttpHeaders }) => r.headers['x-tidings-reason-code'];

  it('opens a range granted to a tailnet to its requests alone, through the SOCKS5 route, and strips the tailnet header', async () => {
    const socksBefore = socks.destinations.length;
    const own = await viaProxy(`http://granted.tailnet.test:${port}/granted`, { 'x-tidings-tls': 'true', 'x-tidings-tailnet': 'a.example.com' });
    assert.equal(own.status, 200, String(own.headers['x-tidings-reason']));
    assert.equal(own.body, `hello from ${GRANTED}`);
    assert.deepEqual(socks.destinations.slice(socksBefore), [`${GRANTED}:${port}`], 'through the SOCKS5 route');
    assert.equal(hits[GRANTED]!.at(-1)!.headers!['x-tidings-tailnet'], undefined, 'the header is for the egress only');
    for (const [who, headers] of [['another tailnet', { 'x-tidings-tls': 'true', 'x-tidings-tailnet': 'b.example.com' }], ['no tailnet', { 'x-tidings-tls': 'true' }]] as const) {
      const res = await viaProxy(`http://granted.tailnet.test:${port}/stolen`, headers);
      assert.equal(res.status, 403, who);
      assert.equal(code(res), '1000', who);
      assert.match(String(res.headers['x-tidings-reason']), /granted to another tailnet/, who);
    }
    assert.deepEqual(hits[GRANTED]!.map((h) => h.path), ['/granted'], 'nothing of theirs reached it');
  });

  it('reaches an allowed address by name, with TLS verified against the name', async () => {
    const res = await viaProxy(`http://public.test:${port}/ok`);
    assert.equal(res.status, 200, String(res.headers['x-tidings-reason']));
    assert.equal(res.body, `hello from ${PUBLIC}`);
    assert.equal(hits[PUBLIC]!.at(-1)!.protocol, 'TLSv1.3', 'TLS 1.3 where the upstream offers it');
  });

  const denied: [string, string, string][] = [
    ['10.1.2.3', 'A', 'private'],
    ['172.16.0.1', 'A', 'private'],
    ['192.168.0.1', 'A', 'private'],
    ['100.64.0.1', 'A', 'cgnat'],
    ['169.254.169.254', 'A', 'link-local'],
    ['127.0.0.1', 'A', 'loopback'],
    ['0.0.0.0', 'A', 'unspecified'],
    ['224.0.0.251', 'A', 'multicast'],
    ['240.0.0.1', 'A', 'reserved'],
    ['192.0.2.1', 'A', 'documentation'],
    ['198.18.0.1', 'A', 'benchmarking'],
    ['::1', 'AAAA', 'loopback'],
    ['fd00::1', 'AAAA', 'private'],
    ['fe80::1', 'AAAA', 'link-local'],
    ['ff02::1', 'AAAA', 'multicast'],
    ['64:ff9b::a00:1', 'AAAA', 'nat64'],
    ['2002:a00:1::1', 'AAAA', '6to4'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'AAAA', 'teredo'],
    ['::ffff:a00:1', 'AAAA', 'ipv4-mapped'],
    ['::a00:1', 'AAAA', 'ipv4-compatible'],
    ['2001:db8::1', 'AAAA', 'documentation'],
    ['::', 'AAAA', 'unspecified'],
  ];
  for (const [address, type, range] of denied) {
    it(`refuses a name that resolves to ${address} (${range})`, async () => {
      const name = `${range}-${address.replace(/[.:]/g, '-')}.test`.replace(/--+/g, '-');
      dns.set(name, { [type]: [address] });
      const res = await viaProxy(`http://${name}:${port}/`);
      assert.equal(res.status, 403);
      assert.equal(code(res), '1000');
      assert.match(String(res.headers['x-tidings-reason']), new RegExp(`\\(${range}\\)`));
    });
  }

  it('judges encoded IPv4 and IPv6 literals as the URL parser reads them', async () => {
    for (const host of ['0177.0.0.1', '0x7f000001', '2130706433', '127.1', '0x7f.0.0.1', '[::1]', '[0:0:0:0:0:0:0:1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:3]', '[::127.0.0.1]']) {
      const res = await viaProxy(`http://${host}:${port}/`);
      assert.equal(res.status, 403, host);
      assert.equal(code(res), '1000', host);
    }
    assert.equal(hits[INTERNAL]!.length, 0);
  });

  it('refuses a name whose answers mix an allowed and a private address', async () => {
    dns.set('mixed.test', { A: [PUBLIC, '10.0.0.1'] });
    const res = await viaProxy(`http://mixed.test:${port}/`);
    assert.equal(res.status, 403);
    assert.match(String(res.headers['x-tidings-reason']), /10\.0\.0\.1 is blocked \(private\)/);
  });

  it('resolves once and dials the address it checked, so rebinding cannot switch it', async () => {
    dns.set('rebind.test', [{ A: [PUBLIC] }, { A: [INTERNAL] }]);
    const before = { public: hits[PUBLIC]!.length, queries: dns.queries.filter((q) => q.name === 'rebind.test' && q.type === 'A').length };
    const first = await viaProxy(`http://rebind.test:${port}/first`);
    assert.equal(first.status, 200);
    assert.equal(first.body, `hello from ${PUBLIC}`);
    assert.equal(dns.queries.filter((q) => q.name === 'rebind.test' && q.type === 'A').length - before.queries, 1, 'one lookup per request');
    const second = await viaProxy(`http://rebind.test:${port}/second`);
    assert.equal(second.status, 403, 'the rebound answer is judged, and refused');
    assert.equal(hits[PUBLIC]!.length - before.public, 1);
    assert.equal(hits[INTERNAL]!.length, 0, 'the internal address was never dialled');
  });

  it('reuses an answer for its TTL, dialling the address it checked, and judges the next answer afresh', async () => {
    dns.set('cached.test', [{ A: [PUBLIC], ttl: 1 }, { A: [INTERNAL], ttl: 1 }]);
    const queries = () => dns.queries.filter((q) => q.name === 'cached.test' && q.type === 'A').length;
    const before = { public: hits[PUBLIC]!.length, queries: queries() };
    const answers = await Promise.all([1, 2, 3].map((n) => viaProxy(`http://cached.test:${port}/cached-${n}`)));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
    assert.equal(queries() - before.queries, 1, 'three requests within the TTL, one lookup');
    assert.equal(hits[PUBLIC]!.length - before.public, 3);
    await new Promise((r) => setTimeout(r, 1_100));
    const rebound = await viaProxy(`http://cached.test:${port}/after-ttl`);
    assert.equal(queries() - before.queries, 2, 'asked again once the TTL ran out');
    assert.equal(rebound.status, 403, 'the new answer is judged, and refused');
    assert.equal(hits[INTERNAL]!.length, 0, 'the internal address was never dialled');
  });

  it('passes a redirect into private space back without following it', async () => {
    const res = await viaProxy(`http://public.test:${port}/redirect`);
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, `http://10.0.0.1:${port}/internal`);
  });

  it('refuses an expired certificate with 502 and 1102', async () => {
    const res = await viaProxy(`http://expired.test:${expiredPort}/`);
    assert.equal(res.status, 502);
    assert.equal(code(res), '1102');
    assert.match(String(res.headers['x-tidings-reason']), /CERT_HAS_EXPIRED/);
  });

  it('answers 504 when the upstream never completes the handshake', async () => {
    const res = await viaProxy(`http://public.test:${stallPort}/`);
    assert.equal(res.status, 504);
    assert.equal(code(res), '1200');
  });

  it('presents the configured client certificate (mTLS), selectable per request', async () => {
    const before = hits[PUBLIC]!.length;
    assert.equal((await viaProxy(`http://mtls.test:${port}/mtls`)).status, 200);
    assert.equal(hits[PUBLIC]![before]!.clientCn, 'tidings-client');
    assert.equal((await viaProxy(`http://mtls.test:${port}/mtls`, { 'x-tidings-tls': 'true', 'x-tidings-client-cert': 'tidings-client' })).status, 200);
    const unknown = await viaProxy(`http://mtls.test:${port}/mtls`, { 'x-tidings-tls': 'true', 'x-tidings-client-cert': 'nobody' });
    assert.equal(unknown.status, 400);
    assert.equal(code(unknown), '1005');
  });

  function connectVia(authority: string): Promise<{ status: number; head: string; socket: import('node:net').Socket }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: authority });
      req.on('connect', (res, socket) => resolve({ status: res.statusCode ?? 0, head: JSON.stringify(res.headers), socket }));
      req.on('error', reject);
      req.end();
    });
  }

  it('tunnels CONNECT to a checked address, and refuses the rest with a reason', async () => {
    const ok = await connectVia(`public.test:${port}`);
    assert.equal(ok.status, 200);
    const tls = tlsConnect({ socket: ok.socket, servername: 'public.test', ca: [ca.caPem] });
    await new Promise<void>((resolve, reject) => tls.once('secureConnect', resolve).once('error', reject));
    tls.write('GET /tunnelled HTTP/1.1\r\nhost: public.test\r\nconnection: close\r\n\r\n');
    const reply = await new Promise<string>((resolve) => {
      let text = '';
      tls.on('data', (c: Buffer) => (text += c.toString()));
      tls.on('end', () => resolve(text));
    });
    assert.match(reply, /hello from 127\.0\.0\.2/);

    const blocked = await connectVia(`127.0.0.3:${port}`);
    assert.equal(blocked.status, 403);
    assert.match(blocked.head, /"x-tidings-reason-code":"1000"/);
    blocked.socket.destroy();
    const badPort = await connectVia(`public.test:22`);
    assert.equal(badPort.status, 403);
    assert.match(badPort.head, /"x-tidings-reason-code":"1001"/);
    badPort.socket.destroy();
    ok.socket.destroy();
  });

  it('reaches an operator-routed range only through the SOCKS5 route', async () => {
    const before = socks.destinations.length;
    const res = await viaProxy(`http://node.tailnet.test:${port}/via-socks`);
    assert.equal(res.status, 200, String(res.headers['x-tidings-reason']));
    assert.equal(res.body, `hello from ${TAILNET}`);
    assert.deepEqual(socks.destinations.slice(before), [`${TAILNET}:${port}`], 'dialled through SOCKS5, by the checked address');
    const tunnel = await connectVia(`node.tailnet.test:${port}`);
    assert.equal(tunnel.status, 200);
    tunnel.socket.destroy();
    assert.equal(socks.destinations.length, before + 2);
    const direct = await viaProxy(`http://public.test:${port}/not-via-socks`);
    assert.equal(direct.status, 200);
    assert.equal(socks.destinations.length, before + 2, 'other destinations do not use the route');
  });

  it('writes one JSON access line per request, without bodies or headers', async () => {
    const lines = readFileSync(egress.logFile, 'utf8').split('\n').filter((l) => l.includes('"access":true'));
    assert.ok(lines.length >= 40, `${lines.length} access lines`);
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      assert.ok(typeof entry.status === 'number' && typeof entry.durationMs === 'number' && typeof entry.method === 'string');
      assert.doesNotMatch(line, /hello from|x-tidings-client-cert|tidings-client/);
    }
  });

  it('counts requests by outcome and reason code in its Prometheus metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    assert.match(text, /tidings_egress_requests_total\{kind="http",outcome="ok",reason_code=""\} [1-9]/);
    assert.match(text, /tidings_egress_requests_total\{kind="http",outcome="refused",reason_code="1000"\} [1-9]/);
    assert.match(text, /tidings_egress_requests_total\{kind="connect",outcome="refused",reason_code="1001"\} 1/);
    assert.match(text, /tidings_egress_request_duration_seconds_bucket/);
    assert.match(text, /tidings_egress_open_connections \d/);
  });
});
