import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Pool } from 'undici';
import { domainEvent } from './domain-events';
import type { HttpLimit } from './limits';
import { round } from './stats';

/** The direct-HTTPS limit's client, on its own thread (see measureHttpLimit). */
async function run({ url, caFile, requests, concurrency }: { url: string; caFile: string; requests: number; concurrency: number }): Promise<HttpLimit> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: concurrency, connect: { ca: readFileSync(caFile) } });
  const body = JSON.stringify([JSON.parse(String(domainEvent('limit.example.com').value))]);
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < requests) {
      next += 1;
      const res = await pool.request({ method: 'POST', path: target.pathname, headers: { 'content-type': 'application/json' }, body });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`receiver answered ${res.statusCode}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return { requests, concurrency, seconds: round(seconds, 2), requestsPerSecond: Math.round(requests / seconds) };
}

run(workerData as Parameters<typeof run>[0]).then(
  (result) => parentPort!.postMessage(result),
  (error: unknown) => parentPort!.postMessage({ error: (error as Error).message }),
);
