import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { DeliveryView, RelayBucketView, RelayInputView } from '@tidings/contracts';
import { freePort, TestDnsServer, TestSocks5Server, TidingsStack, waitFor } from '@tidings/testing';

/** Tailnet A's private target: granted to A alone, reachable only through the SOCKS5 route. */
const PRIVATE = '127.0.0.5';
/** An internal address nobody is granted: loopback, outside the stack's allow list. */
const INTERNAL = '127.0.0.6';
const A = 'a.example.com';
const B = 'b.example.com';
const SECRET = 'gh-private-secret-3';

/**
 * Private destinations of the relay on the real stack, with the SOCKS5 and DNS stand-ins the
 * egress isolation suite uses (in npm test's loopback-only network namespace): tailnet A's
 * private target gets A's relayed requests through the SOCKS5 route; tailnet B cannot reach it,
 * nor an internal address, whatever URL it registers: refused at create when the URL shows it,
 * and by the egress when only the resolved address does. Nothing reaches either server.
 */
describe('relay private targets', () => {
  let stack: TidingsStack;
  let dns: TestDnsServer;
  let socks: TestSocks5Server;
  let keyA: string;
  let keyB: string;
  let port: number;
  const servers: Server[] = [];
  const hits: Record<string, { method: string; path: string; headers: IncomingHttpHeaders; body: Buffer; at: number }[]> = { [PRIVATE]: [], [INTERNAL]: [] };

  before(async () => {
    port = await freePort();
    for (const address of [PRIVATE, INTERNAL]) {
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          hits[address]!.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), at: Date.now() });
          // A slow private target: the sender's answer never waits for it.
          setTimeout(() => res.writeHead(200).end('ok'), 1_000);
        });
      });
      await new Promise<void>((resolve) => server.listen(port, address, resolve));
      servers.push(server);
    }
    dns = new TestDnsServer();
    const dnsAddress = await dns.start();
    dns.set('localhost', { A: ['127.0.0.1'] });
    dns.set('ci.a.internal', { A: [PRIVATE] });
    dns.set('metadata.b.test', { A: [INTERNAL] });
    socks = new TestSocks5Server();
    const socksPort = await socks.start();

    stack = await TidingsStack.create('relay-private', { RETRY_SCHEDULE: '1s*1' });
    Object.assign(stack.env, {
      EGRESS_ALLOW_CIDRS: '127.0.0.1/32,::1/128',
      EGRESS_ALLOWED_PORTS: `${stack.receiverPort},${port}`,
      EGRESS_DNS_SERVERS: dnsAddress,
      EGRESS_SOCKS5_PROXY: `127.0.0.1:${socksPort}`,
      EGRESS_SOCKS5_CIDRS: `${PRIVATE}/32`,
      EGRESS_TAILNET_CIDRS: `${A}=${PRIVATE}/32`,
    });
    await stack.start('egress', 'subscriptions', 'trigger', 'publisher', 'relay');
    keyA = await stack.apiKey(A, 'ops@a.example.com');
    keyB = await stack.apiKey(B, 'mallory@b.example.com');
  });
  after(async () => {
    await stack?.stop();
    await dns?.stop();
    await socks?.stop();
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  const bucket = async (key: string, body: Record<string, unknown>) => (await stack.api('POST', '/api/v2/tailnet/-/relay-buckets', key, { name: 'private', ...body })).body as RelayBucketView;
  const input = (key: string, bucketId: string, url: string) => stack.api('POST', `/api/v2/relay-buckets/${bucketId}/inputs`, key, { outputs: [{ url }] });
  const known = (path: string) => waitFor('the relay to know the input', async () => (await fetch(`${stack.relayUrl}${path}`)).status === 401, 15_000);

  it("relays tailnet A's GitHub-signed request to its private target through the SOCKS5 route, answered at once", async () => {
    const b = await bucket(keyA, { auth: { signature: { scheme: 'github', secret: SECRET } } });
    const res = await input(keyA, b.bucketId, `http://${PRIVATE}:${port}/private/hook`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const made = res.body as RelayInputView;
    await known(made.path);
    const body = Buffer.from('{"ref":"refs/heads/main","private":true}');
    const sentAt = Date.now();
    const answer = await fetch(`${stack.relayUrl}${made.path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json; charset=utf-8', 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` },
    });
    assert.equal(answer.status, 200);
    const answeredAt = Date.now();
    const hit = await waitFor('the request at the private target', () => hits[PRIVATE]!.find((h) => h.path === '/private/hook'), 30_000);
    assert.ok(answeredAt - sentAt < 1_000, 'answered before the target (which takes a second) could have');
    assert.ok(hit.body.equals(body), 'byte for byte');
    assert.equal(hit.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(hit.headers['x-tidings-tailnet'], undefined);
    assert.ok(socks.destinations.includes(`${PRIVATE}:${port}`), 'dialled through the SOCKS5 route');

    const bad = await fetch(`${stack.relayUrl}${made.path}`, { method: 'POST', body, headers: { 'x-hub-signature-256': 'sha256=00' } });
    assert.equal(bad.status, 401);
  });

  it("keeps tailnet B from A's private range and from internal addresses: refused at create, and by the egress behind a DNS name", async () => {
    const b = await bucket(keyB, {});
    for (const [url, problem] of [[`http://${PRIVATE}:${port}/stolen`, /granted to another tailnet/], [`https://${PRIVATE}:${port}/stolen`, /granted to another tailnet/], [`https://${INTERNAL}:${port}/stolen`, /loopback/], ['https://10.0.0.1/stolen', /private/]] as const) {
      const res = await input(keyB, b.bucketId, url);
      assert.equal(res.status, 400, url);
      assert.match(JSON.stringify(res.body), problem, url);
    }
    // Names the create check cannot see through: the egress refuses what they resolve to.
    const made = (await stack.api('POST', `/api/v2/relay-buckets/${b.bucketId}/inputs`, keyB, { outputs: [{ url: `https://ci.a.internal:${port}/stolen` }, { url: `https://metadata.b.test:${port}/stolen` }] })).body as RelayInputView;
    await known(made.path);
    assert.equal((await fetch(`${stack.relayUrl}${made.path}`, { method: 'POST', body: 'steal' })).status, 200);
    for (const output of made.outputs) {
      const path = `/api/v2/relay-buckets/${b.bucketId}/inputs/${made.inputId}/outputs/${output.outputId}/deliveries`;
      const refused = await waitFor(`${output.url} refused by the egress`, async () => {
        const [d] = ((await stack.api('GET', path, keyB)).body as { deliveries: DeliveryView[] }).deliveries;
        return d?.attempts[0] && d.attempts[0];
      }, 30_000);
      assert.equal(refused.status, null);
      assert.match(refused.reason ?? '', /egress refused \(1000\)/, output.url);
    }
    assert.deepEqual(hits[PRIVATE]!.filter((h) => h.path.includes('stolen')), [], "nothing reached A's private target");
    assert.deepEqual(hits[INTERNAL], [], 'nothing reached the internal server');
  });
});
