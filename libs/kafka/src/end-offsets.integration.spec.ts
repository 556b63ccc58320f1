import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Admin, type logCreator } from 'kafkajs';
import { testInfra, uniqueName, waitFor } from '@tidings/test-env';
import { EndOffsets } from './end-offsets';
import { provisionTopicsWith } from './topic-provisioner';

/** A client that counts the requests it sends by name, from kafkajs' own debug log. */
function countingKafka(brokers: string[]): { kafka: Kafka; sent: Map<string, number> } {
  const sent = new Map<string, number>();
  const counting: logCreator = () => (entry) => {
    const name = /^Request (\w+)\(/.exec(entry.log.message)?.[1];
    if (name) sent.set(name, (sent.get(name) ?? 0) + 1);
  };
  return { kafka: new Kafka({ clientId: 'end-offsets-test', brokers, logLevel: logLevel.DEBUG, logCreator: counting }), sent };
}

describe('EndOffsets (real Kafka)', () => {
  const { brokers } = testInfra();
  const topic = uniqueName('ends');
  let kafka: Kafka;
  let sent: Map<string, number>;
  let admin: Admin;
  let ends: EndOffsets;

  before(async () => {
    ({ kafka, sent } = countingKafka(brokers));
    await provisionTopicsWith(kafka, [{ name: topic, partitions: 3, config: {} }]);
    admin = kafka.admin();
    await admin.connect();
    ends = new EndOffsets(kafka, topic);
    await ends.connect();
  });

  after(async () => {
    await ends?.disconnect();
    await admin?.disconnect();
  });

  it('reads what the admin reads, in one ListOffsets where the admin sends Metadata and two', async () => {
    // Empty partitions have no first offset worth a request, even when asked for.
    assert.deepEqual((await ends.read(() => true)).map((p) => [p.high, p.low]), [
      [0n, undefined],
      [0n, undefined],
      [0n, undefined],
    ]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ partition: 0, value: 'a' }, { partition: 0, value: 'b' }, { partition: 2, value: 'c' }] });
    await producer.disconnect();

    const before = new Map(sent);
    const delta = (name: string) => (sent.get(name) ?? 0) - (before.get(name) ?? 0);
    const read = await ends.read();
    assert.deepEqual({ listOffsets: delta('ListOffsets'), metadata: delta('Metadata') }, { listOffsets: 1, metadata: 0 });

    const fromAdmin = await admin.fetchTopicOffsets(topic);
    // The admin's own count is the comparison, not the contract: it sometimes asks for metadata twice.
    assert.equal(delta('ListOffsets'), 3);
    assert.ok(delta('Metadata') >= 1, `the admin sent ${delta('Metadata')} Metadata requests`);
    assert.deepEqual(
      read.map((p) => [p.partition, p.high]).sort(),
      fromAdmin.map((p) => [p.partition, BigInt(p.high)]).sort(),
    );
    assert.deepEqual(read.map((p) => p.high).sort(), [0n, 1n, 2n]);
  });

  it('asks for first offsets only of the named partitions that hold anything, and counts only committed transactions', async () => {
    const producer = kafka.producer({ transactionalId: uniqueName('ends-tx'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const committedBefore = (await ends.read()).find((p) => p.partition === 1)!.high;
    const transaction = await producer.transaction();
    await transaction.send({ topic, messages: [{ partition: 1, value: 'open' }] });
    try {
      // The open transaction holds the last stable offset where it was.
      assert.equal((await ends.read()).find((p) => p.partition === 1)!.high, committedBefore);
    } finally {
      await transaction.commit();
    }
    // The markers are written just after the commit answers.
    await waitFor('the committed record counted', async () => (await ends.read()).find((p) => p.partition === 1)!.high > committedBefore, 5_000, 20);
    await producer.disconnect();

    const withLow = await ends.read((partition) => partition !== 2);
    assert.deepEqual(
      withLow.map((p) => [p.partition, p.low]).sort(),
      [
        [0, 0n],
        [1, 0n],
        [2, undefined],
      ],
    );
  });
});
