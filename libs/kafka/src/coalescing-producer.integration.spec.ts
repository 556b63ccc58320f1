import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Producer, type ProducerBatch } from 'kafkajs';
import { testInfra, uniqueName } from '@tidings/test-env';
import { CoalescingProducer } from './coalescing-producer';
import { provisionTopicsWith } from './topic-provisioner';

/** Against the test run's real broker: many callers, few requests, nothing lost or reordered. */
describe('CoalescingProducer', () => {
  let kafka: Kafka;
  let producer: Producer;
  const topics = [uniqueName('coalesce-a'), uniqueName('coalesce-b')];

  before(async () => {
    kafka = new Kafka({ clientId: 'coalesce-test', brokers: testInfra().brokers, logLevel: logLevel.NOTHING });
    // As the services do: a broker just started may not serve a new topic at once (KRaft).
    await provisionTopicsWith(kafka, topics.map((name) => ({ name, partitions: 3, config: {} })));
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  after(async () => {
    await producer?.disconnect();
  });

  it('sends 200 concurrent callers in a handful of requests, each caller in order, none lost', async () => {
    const requests: ProducerBatch[] = [];
    const counting = { sendBatch: (batch: ProducerBatch) => (requests.push(batch), producer.sendBatch(batch)) };
    const coalescing = new CoalescingProducer(counting);
    const callers = Array.from({ length: 200 }, (_, i) => ({ topic: topics[i % 2]!, key: `k${i % 7}`, values: [`${i}:0`, `${i}:1`, `${i}:2`] }));
    const results = await Promise.all(callers.map((c) => coalescing.send({ topic: c.topic, messages: c.values.map((value) => ({ key: c.key, value })) })));
    assert.ok(requests.length < 20, `${requests.length} produce requests for 200 callers`);
    results.forEach((metadata, i) => assert.ok(metadata.every((m) => m.topicName === callers[i]!.topic)));

    const consumer = kafka.consumer({ groupId: uniqueName('coalesce-read') });
    const seen = new Map<string, string[]>();
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          const value = message.value!.toString();
          const caller = value.split(':')[0]!;
          seen.set(caller, [...(seen.get(caller) ?? []), value]);
          if ([...seen.values()].reduce((n, v) => n + v.length, 0) === 600) resolve();
        },
      });
    });
    await consumer.disconnect();
    for (const [i, c] of callers.entries()) assert.deepEqual(seen.get(String(i)), c.values, `caller ${i}`);
  });

  it('fails every caller of a failed request, and serves the next ones', async () => {
    let fail = true;
    const flaky = { sendBatch: (batch: ProducerBatch) => (fail ? Promise.reject(new Error('broker unavailable')) : producer.sendBatch(batch)) };
    const coalescing = new CoalescingProducer(flaky);
    const doomed = await Promise.allSettled([1, 2, 3].map((i) => coalescing.send({ topic: topics[0]!, messages: [{ value: `doomed-${i}` }] })));
    assert.deepEqual(doomed.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
    fail = false;
    const ok = await coalescing.send({ topic: topics[0]!, messages: [{ value: 'after' }] });
    assert.equal(ok[0]?.topicName, topics[0]);
  });

  it('splits queued callers into requests under the size cap', async () => {
    const sizes: number[] = [];
    const measuring = { sendBatch: (batch: ProducerBatch) => (sizes.push(batch.topicMessages!.flatMap((t) => t.messages).reduce((n, m) => n + (m.value as Buffer).length, 0)), producer.sendBatch(batch)) };
    const coalescing = new CoalescingProducer(measuring);
    const big = randomBytes(100 * 1024);
    await Promise.all(Array.from({ length: 12 }, () => coalescing.send({ topic: topics[1]!, messages: [{ value: big }] })));
    assert.ok(sizes.length >= 3, `${sizes.length} requests`);
    assert.ok(sizes.every((s) => s <= 512 * 1024), `request sizes ${sizes.join(', ')}`);
  });
});
