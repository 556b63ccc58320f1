import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { testInfra, uniqueName, waitFor } from '@tidings/test-env';
import { fixKafkajs } from './kafkajs-fixes';
import { provisionTopicsWith } from './topic-provisioner';

/** Against the test run's real broker, kafkajs with the fixes of kafkajs-fixes.ts. */
describe('fixKafkajs', () => {
  const topic = uniqueName('coordinators');
  const kafka = new Kafka({ clientId: 'coordinator-test', brokers: testInfra().brokers, logLevel: logLevel.NOTHING });
  let producer: Producer;
  const requests: string[] = [];

  before(async () => {
    await provisionTopicsWith(kafka, [{ name: topic, partitions: 1, config: {} }]);
    fixKafkajs();
    // A broker's first group creates its offsets topic: the coordinator is unavailable meanwhile.
    producer = kafka.producer({ transactionalId: uniqueName('coordinator-tx'), idempotent: true, maxInFlightRequests: 1, retry: { initialRetryTime: 100, retries: 12 } });
    producer.on(producer.events.REQUEST, ({ payload }) => requests.push(payload.apiName));
    await producer.connect();
  });

  after(async () => {
    await producer?.disconnect();
  });

  it('leaves an idle connection alone: no queue check without a waiting request', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const queue = require('kafkajs/src/network/requestQueue') as { prototype: { checkPendingRequests(): void } };
    const check = queue.prototype.checkPendingRequests;
    let checks = 0;
    queue.prototype.checkPendingRequests = function (this: unknown) {
      checks += 1;
      return check.call(this);
    };
    try {
      await new Promise((r) => setTimeout(r, 200)); // the connection's last answers settle
      checks = 0;
      await new Promise((r) => setTimeout(r, 1_000));
      // Unfixed, every connection checks its queue about once a millisecond.
      assert.ok(checks < 20, `${checks} queue checks in an idle second`);
    } finally {
      queue.prototype.checkPendingRequests = check;
    }
  });

  it('runs ten transactions with offsets on a couple of coordinator lookups, all committed', async () => {
    const groupId = uniqueName('coordinator-group');
    const run = async (i: number) => {
      const transaction = await producer.transaction();
      try {
        await transaction.send({ topic, messages: [{ value: `m${i}` }] });
        await transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: String(i + 1) }] }] });
        await transaction.commit();
      } catch (error) {
        await transaction.abort();
        throw error;
      }
    };
    // On a fresh broker the first group creates the offsets topic; kafkajs gives up on a
    // TxnOffsetCommit meanwhile (GROUP_COORDINATOR_NOT_AVAILABLE), as the pipe's batch would.
    await waitFor('the group coordinator', () => run(0).then(() => true), 30_000, 200);
    requests.length = 0;
    for (let i = 1; i <= 10; i += 1) await run(i);
    const lookups = requests.filter((r) => r === 'GroupCoordinator').length;
    assert.ok(lookups <= 4, `${lookups} coordinator lookups for 10 transactions (kafkajs alone asks 4 per transaction)`);
    assert.equal(requests.filter((r) => r === 'EndTxn').length, 10);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      assert.equal(offsets?.partitions[0]?.offset, '11', 'every transaction committed its offsets');
    } finally {
      await admin.disconnect();
    }
  });
});
