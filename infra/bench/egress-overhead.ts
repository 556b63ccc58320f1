/**
 * `npm run bench:egress`: what the egress proxy costs. One HTTPS receiver on loopback (a test
 * CA's certificate); the same POSTs sent directly with undici and through the proxy (absolute
 * form, X-Tidings-TLS), in one run: requests/s at a fixed concurrency, and latency
 * percentiles of a sequential run, whose difference is the latency the proxy adds.
 *
 *   npm run bench:egress -- [--requests 5000] [--concurrency 32] [--out bench-egress.json] [--profile DIR]
 *
 * --profile writes the egress' V8 CPU profile into DIR (infra/bench/profile-summary.ts reads it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { Pool } from 'undici';
import { createTestCa, freePort, startService } from '@tidings/testing';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '5000' }, concurrency: { type: 'string', default: '32' }, out: { type: 'string' }, profile: { type: 'string' } } });
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const BODY = JSON.stringify([{ id: 'e1', type: 'nodeCreated', message: 'x'.repeat(400) }]);

type Send = () => Promise<void>;

async function throughput(send: Send): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next++ < REQUESTS) await send();
  }));
  return REQUESTS / ((performance.now() - started) / 1000);
}

async function latencies(send: Send, n = 1000): Promise<{ p50: number; p95: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const t = performance.now();
    await send();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => Math.round(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]! * 1000) / 1000;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-egress-'));
  const ca = createTestCa(join(dir, 'ca'));
  const receiver = createServer({ cert: readFileSync(ca.certFile), key: readFileSync(ca.keyFile) }, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as AddressInfo).port;
  const [proxyPort, adminPort] = [await freePort(), await freePort()];
  const egress = await startService(
    'egress',
    { EGRESS_PORT: String(proxyPort), EGRESS_ADMIN_PORT: String(adminPort), EGRESS_ALLOW_CIDRS: '127.0.0.0/8', EGRESS_ALLOWED_PORTS: String(port), EGRESS_EXTRA_CA_FILE: ca.caCertFile, LOG_LEVEL: 'info', ...(values.profile ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${values.profile}` } : {}) },
    { healthUrl: `http://127.0.0.1:${adminPort}/health`, logDir: dir },
  );
  const direct = new Pool(`https://localhost:${port}`, { connections: CONCURRENCY, connect: { ca: [ca.caPem] } });
  const proxied = new Pool(`http://127.0.0.1:${proxyPort}`, { connections: CONCURRENCY });
  const post = (pool: Pool, path: string, headers: Record<string, string>): Send => async () => {
    const res = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, body: BODY });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  };
  const sendDirect = post(direct, '/hook', {});
  const sendProxied = post(proxied, `http://localhost:${port}/hook`, { 'x-tidings-tls': 'true' });
  try {
    await throughput(sendDirect); // warm-up: connections, JIT
    await throughput(sendProxied);
    const result = {
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      direct: { requestsPerSecond: Math.round(await throughput(sendDirect)), latencyMs: await latencies(sendDirect) },
      proxied: { requestsPerSecond: Math.round(await throughput(sendProxied)), latencyMs: await latencies(sendProxied) },
    };
    const added = { p50: round(result.proxied.latencyMs.p50 - result.direct.latencyMs.p50), p95: round(result.proxied.latencyMs.p95 - result.direct.latencyMs.p95), p99: round(result.proxied.latencyMs.p99 - result.direct.latencyMs.p99) };
    console.table({ direct: { 'req/s': result.direct.requestsPerSecond, ...result.direct.latencyMs }, proxied: { 'req/s': result.proxied.requestsPerSecond, ...result.proxied.latencyMs }, 'added by the proxy': { 'req/s': '', ...added } });
    const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version };
    console.log('latency in ms (sequential, 1000 requests); machine', machine);
    if (values.out) writeFileSync(values.out, `${JSON.stringify({ ...result, addedLatencyMs: added, machine }, null, 2)}\n`);
  } finally {
    await Promise.all([direct.close(), proxied.close()]);
    await egress.stop();
    receiver.closeAllConnections();
    receiver.close();
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
