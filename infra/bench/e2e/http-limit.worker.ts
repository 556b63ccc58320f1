import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Pool } from 'undici';
import { domainEvent } from './domain-events';
import type { HttpLimit, HttpLimitRequest } from './limits';
import { percentiles, round } from './stats';

/**
 * The direct-HTTPS limit's client, on its own thread (see measureHttpLimit): POSTs of a
 * one-event body at a fixed concurrency, then one at a time for latency. With `proxyUrl`, the
 * same POSTs go through the egress proxy (absolute form, the proxy originating TLS).
 */
async function run({ url, caFile, requests, concurrency, sequential = 0, proxyUrl }: HttpLimitRequest): Promise<HttpLimit> {
  const target = new URL(url);
  const pool = proxyUrl ? new Pool(proxyUrl, { connections: concurrency }) : new Pool(target.origin, { connections: concurrency, connect: { ca: readFileSync(caFile) } });
  const path = proxyUrl ? `http://${target.host}${target.pathname}` : target.pathname;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(proxyUrl ? { 'x-tidings-tls': 'true' } : {}) };
  const body = JSON.stringify([JSON.parse(String(domainEvent('limit.example.com').value))]);
  const post = async () => {
    const res = await pool.request({ method: 'POST', path, headers, body });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`receiver answered ${res.statusCode}`);
  };
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next += 1;
        await post();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const samples: number[] = [];
  for (let i = 0; i < sequential; i += 1) {
    const at = performance.now();
    await post();
    samples.push(performance.now() - at);
  }
  await pool.close();
  return { requests, concurrency, seconds: round(seconds, 2), requestsPerSecond: Math.round(requests / seconds), sequentialLatencyMs: percentiles(samples) };
}

run(workerData as HttpLimitRequest).then(
  (result) => parentPort!.postMessage(result),
  (error: unknown) => parentPort!.postMessage({ error: (error as Error).message }),
);
