import type { TidingsStack } from '@tidings/testing';
import { percentiles, type Percentiles } from './stats';

export interface RelayLoadResult {
  /** Requests answered 200 (stored in Kafka first), per second of the sending. */
  acceptedPerSecond: number;
  /** Request sent → answer, as the sender sees it. */
  answerMs: Percentiles | null;
  /** Answer → arrival at the output, through the router, the publisher and the egress. */
  acceptToArrivalMs: Percentiles | null;
  /** Relayed requests that reached the output per second, from the first send to the last arrival. */
  arrivedPerSecond: number;
  requests: number;
  accepted: number;
  arrived: number;
  complete: boolean;
  seconds: number;
}

/**
 * The relay under load: a bucket with token auth and one input whose output is the bench's
 * HTTPS receiver; `requests` POSTs, `concurrency` in flight, each timed to its answer and to
 * its arrival (matched by X-Tidings-Relay-Id).
 */
export async function relayLoad(stack: TidingsStack, requests: number, concurrency: number): Promise<RelayLoadResult> {
  const key = await stack.apiKey('relay.bench', 'bench@relay.bench');
  const token = 'bench-relay-token-0123456789';
  const bucket = (await stack.api('POST', '/api/v2/tailnet/-/relay-buckets', key, { name: 'bench', auth: { token: { header: 'X-Relay-Token', value: token } } })).body as { bucketId: string };
  const outputPath = '/relay-bench';
  const input = (await stack.api('POST', `/api/v2/relay-buckets/${bucket.bucketId}/inputs`, key, { outputs: [{ url: `https://localhost:${stack.receiverPort}${outputPath}` }] })).body as { path: string };
  const url = `${stack.relayUrl}${input.path}`;
  // Until the relay has the input from Kafka, it answers like an unknown input (200 to a GET).
  while ((await fetch(url)).status !== 401) await new Promise((r) => setTimeout(r, 100));

  const answeredAt = new Map<string, number>();
  const arrivedAt = new Map<string, number>();
  stack.receiver.onWebhook((w) => {
    if (w.path === outputPath) arrivedAt.set(String(w.headers['x-tidings-relay-id']), w.receivedAt.getTime());
  });
  const answerMs: number[] = [];
  const body = JSON.stringify({ action: 'opened', repository: { full_name: 'example/bench' }, padding: 'x'.repeat(800) });
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < requests) {
      next += 1;
      const sent = performance.now();
      const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-relay-token': token } });
      await res.arrayBuffer();
      answerMs.push(performance.now() - sent);
      const id = res.headers.get('x-tidings-relay-id');
      if (res.status === 200 && id) answeredAt.set(id, Date.now());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const sendingSeconds = (Date.now() - started) / 1000;
  const deadline = Date.now() + 120_000;
  while (arrivedAt.size < answeredAt.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const lastArrival = Math.max(...arrivedAt.values());
  const toArrival = [...answeredAt].flatMap(([id, at]) => (arrivedAt.has(id) ? [arrivedAt.get(id)! - at] : []));
  return {
    acceptedPerSecond: Math.round(answeredAt.size / sendingSeconds),
    answerMs: percentiles(answerMs),
    acceptToArrivalMs: percentiles(toArrival),
    arrivedPerSecond: Math.round(arrivedAt.size / ((lastArrival - started) / 1000)),
    requests,
    accepted: answeredAt.size,
    arrived: arrivedAt.size,
    complete: arrivedAt.size === requests,
    seconds: Math.round(sendingSeconds * 100) / 100,
  };
}
