import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:https';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createTestCa, type TestCa } from '@tidings/testing';
import { AddressPolicy } from '@tidings/address-policy';
import type { EgressConfig } from './egress-config';
import { DestinationGuard } from './destination-guard';
import { EgressMetrics } from './egress-metrics';
import { ForwardProxy } from './forward-proxy';
import { HostResolver } from './host-resolver';
import { UpstreamPools } from './upstream-pools';

/** The proxy in-process against HTTPS servers on loopback; nothing here leaves the machine. */
describe('ForwardProxy over real TLS', () => {
  let ca: TestCa;
  let upstream: Server;
  let upstreamPort: number;
  let otherNameServer: Server;
  let otherNamePort: number;
  const proxies: ForwardProxy[] = [];
  let otherCa: string;

  before(async () => {
    ca = createTestCa(join(mkdtempSync(join(tmpdir(), 'egress-')), 'ca'), ['localhost', '127.0.0.1']);
    upstream = createServer({ cert: readFileSync(ca.certFile), key: readFileSync(ca.keyFile) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        switch (req.url) {
          case '/headers?token=secret':
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.headers));
            return;
          case '/redirect':
            res.writeHead(302, { location: 'https://127.0.0.1/elsewhere' }).end();
            return;
          case '/big-declared':
            res.writeHead(200, { 'content-length': '2048' }).end(Buffer.alloc(2048));
            return;
          case '/big-chunked':
            res.writeHead(200);
            res.write(Buffer.alloc(600));
            res.end(Buffer.alloc(600));
            return;
          case '/trickle': {
            // Never idle for long, but never done: only the lifetime limit ends it.
            res.writeHead(200);
            const timer = setInterval(() => res.write('.'), 200);
            res.on('close', () => clearInterval(timer));
            return;
          }
          case '/stall':
            res.writeHead(200);
            res.write('partial');
            return; // never ends
          default:
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ host: req.headers.host, body: Buffer.concat(chunks).toString(), tls: req.headers['x-tidings-tls'] ?? null }));
        }
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamPort = (upstream.address() as AddressInfo).port;
    // Same CA, but a certificate that names another host.
    const other = createTestCa(join(mkdtempSync(join(tmpdir(), 'egress-other-')), 'ca'), ['other.invalid']);
    otherNameServer = createServer({ cert: readFileSync(other.certFile), key: readFileSync(other.keyFile) }, (_req, res) => res.end('should not be reached'));
    await new Promise<void>((resolve) => otherNameServer.listen(0, '127.0.0.1', resolve));
    otherNamePort = (otherNameServer.address() as AddressInfo).port;
    otherCa = other.caCertFile;
  });

  after(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    otherNameServer.closeAllConnections();
    otherNameServer.close();
    upstream.closeAllConnections();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  async function startProxy(overrides: Partial<EgressConfig> = {}): Promise<number> {
    const config: EgressConfig = {
      telemetry: { serviceName: 'test', otlpEndpoint: undefined, logLevel: 'error' },
      port: 0,
      adminPort: 0,
      allowCidrs: ['127.0.0.0/8'],
      denyCidrs: [],
      tailnetCidrs: {},
      allowedPorts: [upstreamPort],
      dnsServers: [],
      extraCaFiles: [ca.caCertFile],
      clientCerts: [],
      socks5: undefined,
      timeouts: { connectMs: 2_000, readMs: 1_000, lifetimeMs: 5_000 },
      maxResponseBytes: 1_024,
      propagateTraceContext: false,
      ...overrides,
    };
    const guard = new DestinationGuard(new AddressPolicy({ allow: config.allowCidrs, deny: config.denyCidrs }), new HostResolver([]), config.allowedPorts);
    const proxy = new ForwardProxy(config, guard, new UpstreamPools(config), new EgressMetrics(new Registry()), pino({ level: 'silent' }));
    proxies.push(proxy);
    return proxy.listen(0, '127.0.0.1');
  }

  /** A raw proxy request: node:http sends the request line as given, whatever the scheme. */
  function viaProxy(proxyPort: number, target: string, init: { tls?: boolean; body?: string; headers?: Record<string, string> } = {}) {
    return new Promise<{ status: number; headers: IncomingHttpHeaders; text: string; code: unknown; reason: unknown }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: proxyPort, method: 'POST', path: target, headers: { ...(init.tls === false ? {} : { 'x-tidings-tls': 'true' }), ...init.headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString(), code: res.headers['x-tidings-reason-code'], reason: res.headers['x-tidings-reason'] }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(init.body ?? 'hello');
    });
  }

  it('originates TLS to a checked address, verifying the certificate against the hostname', async () => {
    const proxy = await startProxy();
    const res = await viaProxy(proxy, `http://localhost:${upstreamPort}/hook`, { body: '[{"id":1}]' });
    assert.equal(res.status, 200, res.reason as string);
    assert.deepEqual(JSON.parse(res.text), { host: `localhost:${upstreamPort}`, body: '[{"id":1}]', tls: null });
  });

  it("never passes the client's trace context on; with propagation on, sends its own upstream span's", async () => {
    const spans = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    trace.setGlobalTracerProvider(provider);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    try {
      const clientTrace = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=x', baggage: 'tenant=a' };
      const quiet = await startProxy();
      const sent = JSON.parse((await viaProxy(quiet, `http://localhost:${upstreamPort}/headers?token=secret`, { headers: clientTrace })).text) as IncomingHttpHeaders;
      for (const name of Object.keys(clientTrace)) assert.equal(sent[name], undefined, `${name} reached the endpoint`);

      spans.reset();
      const propagating = await startProxy({ propagateTraceContext: true });
      const got = JSON.parse((await viaProxy(propagating, `http://localhost:${upstreamPort}/headers?token=secret`, { headers: clientTrace })).text) as IncomingHttpHeaders;
      const [upstreamSpan] = spans.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
      assert.ok(upstreamSpan, 'the proxy made a CLIENT span for the upstream request');
      assert.equal(got.traceparent, `00-${upstreamSpan.spanContext().traceId}-${upstreamSpan.spanContext().spanId}-01`);
      assert.equal(got.tracestate, undefined);
      assert.equal(got.baggage, undefined);
      assert.equal(upstreamSpan.name, 'POST');
      assert.equal(upstreamSpan.attributes['http.request.method'], 'POST');
      assert.equal(upstreamSpan.attributes['http.response.status_code'], 200);
      assert.equal(upstreamSpan.attributes['server.address'], 'localhost');
      assert.equal(upstreamSpan.attributes['network.peer.address'], '127.0.0.1');
      // Endpoint URLs may carry tokens in the query: never in a span.
      assert.equal(upstreamSpan.attributes['url.full'], `https://localhost:${upstreamPort}/headers?REDACTED`);
    } finally {
      trace.disable();
      propagation.disable();
      context.disable();
      await provider.shutdown();
    }
  });

  it('refuses loopback unless the allow list opens it', async () => {
    const proxy = await startProxy({ allowCidrs: [] });
    for (const host of ['localhost', '127.0.0.1', '[::1]', '2130706433', '0x7f.1']) {
      const res = await viaProxy(proxy, `http://${host}:${upstreamPort}/hook`);
      assert.equal(res.status, 403, host);
      assert.equal(res.code, '1000', host);
      assert.match(String(res.reason), /is blocked \(loopback\)/, host);
    }
  });

  it('refuses ports, schemes and userinfo outside policy', async () => {
    const proxy = await startProxy();
    assert.equal((await viaProxy(proxy, `http://localhost:${upstreamPort + 1}/`)).code, '1001');
    assert.equal((await viaProxy(proxy, `ftp://localhost:${upstreamPort}/`)).code, '1002');
    assert.equal((await viaProxy(proxy, `http://user:pw@localhost:${upstreamPort}/`)).code, '1003');
  });

  it('fails TLS to an untrusted or wrongly named certificate with 502 and code 1102', async () => {
    const untrusting = await startProxy({ extraCaFiles: [] });
    const untrusted = await viaProxy(untrusting, `http://localhost:${upstreamPort}/hook`);
    assert.equal(untrusted.status, 502);
    assert.equal(untrusted.code, '1102');
    const proxy = await startProxy({ extraCaFiles: [ca.caCertFile, otherCa], allowedPorts: [upstreamPort, otherNamePort] });
    const wrongHost = await viaProxy(proxy, `http://localhost:${otherNamePort}/hook`);
    assert.equal(wrongHost.status, 502);
    assert.equal(wrongHost.code, '1102');
    assert.match(String(wrongHost.reason), /ALTNAME/);
  });

  it('passes a redirect back instead of following it', async () => {
    const proxy = await startProxy();
    const res = await viaProxy(proxy, `http://localhost:${upstreamPort}/redirect`);
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, 'https://127.0.0.1/elsewhere');
  });

  it('caps response bodies, declared or chunked, with an explicit 502', async () => {
    const proxy = await startProxy();
    for (const path of ['/big-declared', '/big-chunked']) {
      const res = await viaProxy(proxy, `http://localhost:${upstreamPort}${path}`);
      assert.equal(res.status, 502, path);
      assert.equal(res.code, '1103', path);
    }
  });

  it('answers 504 with 1202 when an upstream outlives the lifetime limit', async () => {
    const proxy = await startProxy({ timeouts: { connectMs: 2_000, readMs: 1_000, lifetimeMs: 1_500 }, maxResponseBytes: 1_000_000 });
    const res = await viaProxy(proxy, `http://localhost:${upstreamPort}/trickle`);
    assert.equal(res.status, 504);
    assert.equal(res.code, '1202');
  });

  it('refuses a self-signed certificate', async () => {
    const selfSigned = createServer({ cert: readFileSync(ca.caCertFile), key: readFileSync(join(ca.caCertFile, '..', 'ca-key.pem')) }, (_req, res) => res.end('self-signed'));
    await new Promise<void>((resolve) => selfSigned.listen(0, '127.0.0.1', resolve));
    const port = (selfSigned.address() as AddressInfo).port;
    try {
      const proxy = await startProxy({ extraCaFiles: [], allowedPorts: [port] });
      const res = await viaProxy(proxy, `http://127.0.0.1:${port}/`);
      assert.equal(res.status, 502);
      assert.equal(res.code, '1102');
      assert.match(String(res.reason), /SELF_SIGNED/);
    } finally {
      selfSigned.closeAllConnections();
      selfSigned.close();
    }
  });

  it('answers 504 when the upstream stalls', async () => {
    const proxy = await startProxy();
    const res = await viaProxy(proxy, `http://localhost:${upstreamPort}/stall`);
    assert.equal(res.status, 504);
    assert.equal(res.code, '1201');
  });

  it('reports listening from listen() until close() begins (its readiness)', async () => {
    await startProxy();
    const proxy = proxies.at(-1)!;
    assert.equal(proxy.listening, true);
    const closing = proxy.close();
    assert.equal(proxy.listening, false);
    await closing;
  });
});
