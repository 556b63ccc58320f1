import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Kafka, logLevel } from 'kafkajs';
import { domainEvent } from './domain-events';
import { round } from './stats';

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
export async function measureHttpLimit(url: string, caFile: string, requests: number, concurrency: number): Promise<HttpLimit> {
  const worker = new Worker(join(__dirname, 'http-limit.worker.js'), { workerData: { url, caFile, requests, concurrency } });
  const [result] = (await once(worker, 'message')) as [HttpLimit | { error: string }];
  await worker.terminate();
  if ('error' in result) throw new Error(result.error);
  return result;
}
