import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Kafka, logLevel } from 'kafkajs';
import { domainEvent } from './domain-events';
import { round, type Percentiles } from './stats';

export interface KafkaLimit {
  messages: number;
  seconds: number;
  messagesPerSecond: number;
}

export interface HttpLimit {
  requests: number;
  concurrency: number;
  seconds: number;
  /** One event per request: the event rate of sending each event on its own POST. */
  requestsPerSecond: number;
  /** Requests sent one at a time after the concurrent ones (ms); null when none were. */
  sequentialLatencyMs: Percentiles | null;
}

export interface HttpLimitRequest {
  url: string;
  caFile: string;
  requests: number;
  concurrency: number;
  /** Requests sent one at a time afterwards, for latency. */
  sequential?: number;
  /** Through this egress proxy instead of directly. */
  proxyUrl?: string;
}

/** The ceilings every scenario is compared with, measured in the same run. */
export interface Limits {
  kafka: KafkaLimit;
  http: HttpLimit;
  egress: EgressOverhead;
}

/** The egress proxy next to direct requests, measured the same way in the same run. */
export interface EgressOverhead {
  direct: HttpLimit;
  proxied: HttpLimit;
  /** proxied / direct requests per second, at the same concurrency. */
  ratio: number;
  /** What the proxy adds to a sequential request (ms). */
  addedLatencyMs: Percentiles | null;
}

/**
 * The broker's ceiling on this machine for the same messages: a raw kafkajs producer (as the
 * control plane's) and a raw consumer group, timed from the first send to the last record read.
 */
export async function measureKafkaLimit(brokers: string[], messages: number): Promise<KafkaLimit> {
  const kafka = new Kafka({ clientId: 'bench-limit', brokers, logLevel: logLevel.NOTHING });
  const topic = `bench-limit-${randomBytes(4).toString('hex')}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `${topic}-group`, maxWaitTimeInMs: 100 });
  const producer = kafka.producer({ idempotent: true });
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe({ topic, fromBeginning: true });
  let read = 0;
  let done: () => void = () => undefined;
  const allRead = new Promise<void>((resolve) => (done = resolve));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      read += batch.messages.length;
      if (read >= messages) done();
    },
  });
  const tailnets = Array.from({ length: 64 }, (_, i) => `limit-${i}.example.com`);
  const started = performance.now();
  for (let i = 0; i < messages; i += 500) {
    await producer.send({ topic, messages: Array.from({ length: Math.min(500, messages - i) }, (_, j) => domainEvent(tailnets[(i + j) % tailnets.length]!)) });
  }
  await allRead;
  const seconds = (performance.now() - started) / 1000;
  await Promise.all([consumer.disconnect(), producer.disconnect()]);
  return { messages, seconds: round(seconds, 2), messagesPerSecond: Math.round(messages / seconds) };
}

/**
 * The HTTPS ceiling on this machine: undici POSTs of a one-event webhook body straight to the
 * same receiver the platform delivers to (no Kafka, no egress, no signing). The client runs
 * on a worker thread, so it does not share the receiver's event loop.
 */
export async function measureHttpLimit(request: HttpLimitRequest): Promise<HttpLimit> {
  const worker = new Worker(join(__dirname, 'http-limit.worker.js'), { workerData: request });
  const [result] = (await once(worker, 'message')) as [HttpLimit | { error: string }];
  await worker.terminate();
  if ('error' in result) throw new Error(result.error);
  return result;
}

/**
 * The egress proxy's cost: the same POSTs to the same receiver, directly and through the
 * stack's own egress (logging as in production), warmed up first, concurrently and then one at
 * a time; the difference is what the proxy adds.
 */
export async function measureEgressOverhead(url: string, caFile: string, proxyUrl: string, requests: number, concurrency: number): Promise<EgressOverhead> {
  const warm = Math.min(requests, 1_000);
  await measureHttpLimit({ url, caFile, requests: warm, concurrency });
  await measureHttpLimit({ url, caFile, requests: warm, concurrency, proxyUrl });
  const sequential = Math.min(requests, 1_000);
  const direct = await measureHttpLimit({ url, caFile, requests, concurrency, sequential });
  const proxied = await measureHttpLimit({ url, caFile, requests, concurrency, sequential, proxyUrl });
  const [d, p] = [direct.sequentialLatencyMs, proxied.sequentialLatencyMs];
  const addedLatencyMs = d && p ? { p50: round(p.p50 - d.p50), p95: round(p.p95 - d.p95), p99: round(p.p99 - d.p99) } : null;
  return { direct, proxied, ratio: round(proxied.requestsPerSecond / direct.requestsPerSecond, 3), addedLatencyMs };
}
