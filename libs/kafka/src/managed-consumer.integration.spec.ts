import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import type { ResolvedConsumer } from '@tidings/contracts';
import { createLogger } from '@tidings/telemetry';
import { testInfra, uniqueName, waitFor } from '@tidings/test-env';
import { ManagedConsumer } from './managed-consumer';
import { provisionTopicsWith } from './topic-provisioner';

const logger = createLogger({ serviceName: 'managed-consumer-test', logLevel: 'fatal' });

/**
 * What a ManagedConsumer commits, read back from the broker: handled records are committed
 * on a timer (not after every fetch), a graceful stop commits the rest, and a fetch holding
 * only transaction markers is stepped over, so an idle group shows no lag.
 */
describe('ManagedConsumer offset commits (real Kafka)', () => {
  const { brokers } = testInfra();
  const topic = uniqueName('managed-in');
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;

  const declared = (mode: 'batch' | 'record'): ResolvedConsumer => ({ name: 'subscriptionsDeliveries', mode, groupId: uniqueName('managed'), topics: [topic], fetchWaitMs: 100 });
  const committed = async (groupId: string) => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets!.partitions[0]!.offset;
  };
  const end = async () => (await admin.fetchTopicOffsets(topic))[0]!.high;

  before(async () => {
    kafka = new Kafka({ clientId: 'managed-consumer-test', brokers, logLevel: logLevel.NOTHING });
    await provisionTopicsWith(kafka, [{ name: topic, partitions: 1, config: {} }]);
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  after(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
  });

  it('commits a trickle of batches about once a second, not once per fetch, and everything on a graceful stop', async () => {
    const group = declared('batch');
    const handled: string[] = [];
    const consumer = new ManagedConsumer(kafka, { declared: group, logger, batchHandlers: { [topic]: async (records) => void handled.push(...records.map((r) => r.value!.toString())) } });
    let commits = 0;
    // kafkajs' own instrumentation: one event per OffsetCommit request it sent.
    (consumer as unknown as { consumer: { on(e: string, f: () => void): void } }).consumer.on('consumer.commit_offsets', () => (commits += 1));
    const startedFrom = await end();
    void consumer.start();
    const began = Date.now();
    try {
      // 30 records, one every 50 ms: each its own fetch (the wait is 100 ms).
      for (let i = 0; i < 30; i++) {
        await producer.send({ topic, messages: [{ value: `trickle-${i}` }] });
        await new Promise((r) => setTimeout(r, 50));
      }
      await waitFor('all 30 handled', () => handled.length >= 30, 15_000, 20);
      // Once a second, plus one for a timer that straddles the start and one for the last batch;
      // a loaded machine stretches the trickle, so the bound follows the time it took.
      const seconds = Math.ceil((Date.now() - began) / 1000);
      assert.ok(commits <= seconds + 2, `${commits} commits for ${seconds} s of handled batches`);
    } finally {
      await consumer.stop();
    }
    assert.equal(await committed(group.groupId), String(BigInt(startedFrom) + 30n), 'the stop committed every handled record');
  });

  it('steps over a tail of transaction markers, in record mode too, so the idle group has no lag', async () => {
    const group = declared('record');
    const handled: string[] = [];
    const consumer = new ManagedConsumer(kafka, { declared: group, logger, handlers: { [topic]: async (r) => void handled.push(r.value!.toString()) } });
    const txProducer = kafka.producer({ transactionalId: uniqueName('managed-tx'), idempotent: true, maxInFlightRequests: 1 });
    await txProducer.connect();
    void consumer.start();
    try {
      const transaction = await txProducer.transaction();
      await transaction.send({ topic, messages: [{ value: 'in-a-transaction' }] });
      await transaction.commit();
      await waitFor('the transactional record handled', () => handled.includes('in-a-transaction'), 15_000, 20);
      const high = await end();
      await waitFor('the committed offset to reach the end, marker included', async () => (await committed(group.groupId)) === high, 10_000, 100);
    } finally {
      await consumer.stop();
      await txProducer.disconnect();
    }
  });
});
