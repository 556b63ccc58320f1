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
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTestCa, freePort, startService } from '@tidings/testing';
import { measureEgressOverhead, type HttpLimit } from './e2e/limits';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '5000' }, concurrency: { type: 'string', default: '32' }, out: { type: 'string' }, profile: { type: 'string' } } });
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);

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
  try {
    // The same measurement the main bench makes against the stack's egress (e2e/limits.ts).
    const result = await measureEgressOverhead(`https://localhost:${port}/hook`, ca.caCertFile, `http://127.0.0.1:${proxyPort}`, REQUESTS, CONCURRENCY);
    const row = (r: HttpLimit) => ({ 'req/s': r.requestsPerSecond, ...r.sequentialLatencyMs });
    console.table({ direct: row(result.direct), proxied: row(result.proxied), 'added by the proxy': { 'req/s': '', ...result.addedLatencyMs } });
    const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version };
    console.log(`latency in ms (sequential, 1000 requests); proxied/direct ${result.ratio}; machine`, machine);
    if (values.out) writeFileSync(values.out, `${JSON.stringify({ requests: REQUESTS, concurrency: CONCURRENCY, ...result, machine }, null, 2)}\n`);
  } finally {
    await egress.stop();
    receiver.closeAllConnections();
    receiver.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
