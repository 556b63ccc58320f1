import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { ResolvedConsumer } from '@tidings/contracts';
import { createLogger } from '@tidings/telemetry';
import { testInfra, uniqueName, waitFor } from '@tidings/test-env';
import { EndOffsets } from './end-offsets';
import { provisionTopicsWith } from './topic-provisioner';
import { TopicReplayer } from './topic-replayer';
import { TransactionalPipe } from './transactional-pipe';

const logger = createLogger({ serviceName: 'replayer-test', logLevel: 'fatal' });

/** A client, and how many end-offset reads its replayers have made (shared requests count once). */
function countingKafka(brokers: string[]): { kafka: Kafka; endOffsetRequests: () => number } {
  let requests = 0;
  const read = EndOffsets.prototype.read;
  EndOffsets.prototype.read = function (this: EndOffsets, ...args: Parameters<EndOffsets['read']>) {
    requests += 1;
    return read.apply(this, args);
  };
  const kafka = new Kafka({ clientId: 'replayer-test', brokers, logLevel: logLevel.NOTHING });
  return { kafka, endOffsetRequests: () => requests };
}

describe('TopicReplayer and TransactionalPipe against the real broker', () => {
  const { brokers } = testInfra();
  const log = uniqueName('replay-log');
  const input = uniqueName('pipe-in');
  const output = uniqueName('pipe-out');
  let kafka: Kafka;
  let endOffsetRequests: () => number;
  let producer: Producer;

  before(async () => {
    ({ kafka, endOffsetRequests } = countingKafka(brokers));
    await provisionTopicsWith(kafka, [
      { name: log, partitions: 3, config: {} },
      { name: input, partitions: 4, config: {} },
      { name: output, partitions: 1, config: {} },
    ]);
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  after(async () => {
    await producer?.disconnect();
  });

  it('sync() sees what was written before it, and concurrent syncs share their end-offset requests', async () => {
    const seen: string[] = [];
    const declared: ResolvedConsumer = { name: 'triggerDedupView', mode: 'replay', groupId: uniqueName('replay'), topics: [log], fetchWaitMs: 1_000 };
    const replayer = new TopicReplayer(kafka, { declared, logger, onRecord: (r) => seen.push(r.value!.toString()) });
    await replayer.start();
    try {
      for (let round = 0; round < 5; round++) {
        await producer.send({ topic: log, messages: [0, 1, 2].map((p) => ({ partition: p, value: `${round}.${p}` })) });
        const before = endOffsetRequests();
        await Promise.all(Array.from({ length: 12 }, () => replayer.sync()));
        for (const p of [0, 1, 2]) assert.ok(seen.includes(`${round}.${p}`), `round ${round}, partition ${p} handed over before sync resolved`);
        const asked = endOffsetRequests() - before;
        assert.ok(asked >= 1 && asked <= 2, `12 concurrent syncs made ${asked} end-offset requests`);
      }
    } finally {
      await replayer.stop();
    }
  });

  it('runs onPartitionOwned once per take-over, before the partition’s first batch', async () => {
    const events: string[] = [];
    const groupId = uniqueName('pipe');
    const declared: ResolvedConsumer = { name: 'triggerDomainEvents', mode: 'transactional', groupId, topics: [input], fetchWaitMs: 200 };
    const pipe = (instance: string) =>
      new TransactionalPipe(kafka, {
        declared,
        transactionalIdPrefix: uniqueName('pipe-tx'),
        logger,
        onPartitionOwned: async (_topic, partition) => {
          events.push(`${instance}:owned:${partition}`);
        },
        processBatch: async (records) => {
          for (const r of records) events.push(`${instance}:batch:${r.partition}`);
          return { outputs: records.map((r) => ({ topic: output, key: r.key?.toString() ?? null, value: r.value })) };
        },
      });
    const send = (round: string) => producer.send({ topic: input, messages: [0, 1, 2, 3].map((p) => ({ partition: p, value: `${round}.${p}` })) });
    const batchesOf = (instance: string, partition: number) => events.filter((e) => e === `${instance}:batch:${partition}`).length;

    const first = pipe('a');
    await first.start();
    try {
      await send('r1');
      await waitFor('a batch on every partition', () => [0, 1, 2, 3].every((p) => batchesOf('a', p) >= 1), 30_000);
      await send('r2');
      await waitFor('a second batch on every partition', () => [0, 1, 2, 3].every((p) => batchesOf('a', p) >= 2), 30_000);
      for (const p of [0, 1, 2, 3]) {
        const own = events.filter((e) => e.startsWith('a:') && e.endsWith(`:${p}`));
        assert.equal(own[0], `a:owned:${p}`, `partition ${p}: taken over before its first batch`);
        assert.equal(own.filter((e) => e.includes(':owned:')).length, 1, `partition ${p}: taken over once, not per batch`);
      }
    } finally {
      await first.stop();
    }

    // The next owner takes every partition over again, each before its first batch there.
    const second = pipe('b');
    await second.start();
    try {
      await send('r3');
      await waitFor('b batches on every partition', () => [0, 1, 2, 3].every((p) => batchesOf('b', p) >= 1), 30_000);
      for (const p of [0, 1, 2, 3]) assert.equal(events.find((e) => e.startsWith('b:') && e.endsWith(`:${p}`)), `b:owned:${p}`);
    } finally {
      await second.stop();
    }
  });
});
