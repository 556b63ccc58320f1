import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { pino } from 'pino';
import type { ResolvedConsumer } from '@tidings/contracts';
import { testInfra, uniqueName, waitFor } from '@tidings/test-env';
import type { DeliveryHold, DeliveryHoldsRepository } from '../holds/delivery-holds.repository';
import type { HoldRelease } from './hold-release';
import { LostRetryCheck, passedPrefix } from './lost-retry-check';

describe('passedPrefix', () => {
  it('finds the passed prefix of a monotonic predicate, asking O(log n) times', async () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    for (const cut of [0, 1, 37, 99, 100]) {
      let asked = 0;
      const n = await passedPrefix(items, async (i) => {
        asked += 1;
        return i < cut;
      });
      assert.equal(n, cut);
      assert.ok(asked <= 7, `asked ${asked} times`);
    }
  });
});

/**
 * The lost-retry rule against the real broker: retry topics with records at known times, the
 * chain's group moved by hand, and the holds and the release as fakes that record the calls.
 */
describe('LostRetryCheck against the real broker', () => {
  const MIN = 60_000;
  const t0 = Date.parse('2026-11-01T12:00:00Z');
  const now = new Date(t0 + 60 * MIN);
  const topics = [uniqueName('retry-1m'), uniqueName('retry-1h')];
  const chain: ResolvedConsumer = { name: 'publisherRetries', mode: 'scheduled', groupId: uniqueName('chain'), topics, fetchWaitMs: 1_000 };
  const kafka = new Kafka({ clientId: 'lost-retry-test', brokers: testInfra().brokers, logLevel: logLevel.NOTHING });
  let admin: Admin;
  let producer: Producer;
  let check: LostRetryCheck;
  const released: string[] = [];
  const hold = (endpointId: string): DeliveryHold => ({ endpointId, batchId: `b-${endpointId}`, attempt: 2, state: 'retrying', configVersion: 1, reason: null, lanePartition: 0 });
  // Held since t0 (a's record written just before) and since t0 + 10 min (b's).
  const candidates = [
    { hold: hold('a'), since: new Date(t0) },
    { hold: hold('b'), since: new Date(t0 + 10 * MIN) },
  ];
  const holds = { retryingSince: async (before: Date) => candidates.filter((c) => c.since < before) } as unknown as DeliveryHoldsRepository;
  const release = {
    release: async (endpointId: string, event: { batchId?: string; attempt?: number }, cause: string, why: (b: string, a: number) => string) => {
      assert.equal(cause, 'record_gone');
      assert.equal(event.batchId, `b-${endpointId}`);
      assert.match(why(event.batchId!, event.attempt!), /read past every record written before/);
      released.push(endpointId);
      return true;
    },
  } as unknown as HoldRelease;

  before(async () => {
    admin = kafka.admin();
    await admin.connect();
    // Kept forever: the records' timestamps are weeks old, and the broker's own retention (7
    // days, checked every 5 minutes) deleted them in the middle of the file once the broker had
    // been up that long, which looked to the unread group exactly like the deletion a test below makes.
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '-1' }] })), waitForLeaders: true });
    producer = kafka.producer();
    await producer.connect();
    const at = (ms: number) => String(ms);
    // 1m topic: a's record, then b's. 1h topic: one record of another endpoint, before a's.
    await producer.send({ topic: topics[0]!, messages: [{ key: 'a', value: '{}', timestamp: at(t0 - 1_000) }, { key: 'b', value: '{}', timestamp: at(t0 + 10 * MIN - 1_000) }] });
    await producer.send({ topic: topics[1]!, messages: [{ key: 'z', value: '{}', timestamp: at(t0 - 5 * MIN) }] });
    // A fresh broker may still be loading the group's coordinator: wait until it answers.
    await waitFor('the chain group\'s coordinator', async () => (await admin.fetchOffsets({ groupId: chain.groupId, topics })).length === 2, 30_000, 200);
    check = new LostRetryCheck(kafka, { chain, holds, release, every: { intervalMs: 3_600_000, graceMs: 30_000 }, logger: pino({ level: 'silent' }) });
    await check.start();
  });

  after(async () => {
    await check?.stop();
    await producer?.disconnect();
    await admin?.deleteTopics({ topics }).catch(() => undefined);
    await admin?.disconnect();
  });

  // A new group's coordinator may still be loading: setting its offsets is retried until it answers.
  const commit = (topic: string, offset: number) =>
    waitFor(`the chain's offset on ${topic} at ${offset}`, async () => {
      await admin.setOffsets({ groupId: chain.groupId, topic, partitions: [{ partition: 0, offset: String(offset) }] });
      return true;
    }, 30_000, 200);

  it('releases nothing while the chain has not read past the holds\' records', async () => {
    released.length = 0;
    assert.equal(await check.check(now), 0);
    await commit(topics[0]!, 1); // past a's record on the 1m topic, but the 1h topic is unread
    assert.equal(await check.check(now), 0);
    assert.deepEqual(released, []);
  });

  it('releases a hold once every retry topic is read past its time, and only that hold', async () => {
    released.length = 0;
    await commit(topics[1]!, 1);
    assert.equal(await check.check(now), 1);
    assert.deepEqual(released, ['a'], 'b\'s record (after a\'s) is not read yet');
  });

  it('releases every hold once the chain has read everything', async () => {
    released.length = 0;
    await commit(topics[0]!, 2);
    assert.equal(await check.check(now), 2);
    assert.deepEqual(released, ['a', 'b']);
  });

  it('treats records deleted before the chain read them as gone (the log start is past them)', async () => {
    // Another chain group, which has committed nothing (moving a group's offsets back is racy).
    const unread = new LostRetryCheck(kafka, { chain: { ...chain, groupId: uniqueName('unread-chain') }, holds, release, every: { intervalMs: 3_600_000, graceMs: 30_000 }, logger: pino({ level: 'silent' }) });
    await unread.start();
    try {
      await waitFor('the unread group\'s coordinator', async () => (await unread.check(now)) === 0, 30_000, 200);
      released.length = 0;
      // Retention deletes every record the chain has not read.
      for (const [topic, end] of [[topics[0]!, '2'], [topics[1]!, '1']] as const) await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: end }] });
      assert.equal(await unread.check(now), 2);
      assert.deepEqual(released, ['a', 'b']);
    } finally {
      await unread.stop();
    }
  });

  it('releases no hold younger than the grace', async () => {
    released.length = 0;
    assert.equal(await check.check(new Date(t0 + 20_000)), 0);
    assert.deepEqual(released, []);
  });
});
