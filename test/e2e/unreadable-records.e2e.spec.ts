import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Producer } from 'kafkajs';
import { Client } from 'pg';
import { CONSUMERS, INTERNAL_TOPICS, KAFKA_HEADERS, retryTopicName } from '@tidings/contracts';
import { type TidingsStack, TopicReader, waitFor } from '@tidings/testing';
import { createEndpoint, deliveredEvents, emitNodeEvents, isPayload, kafkaFor, startStackAndProducer, stopStackAndProducer, requestsTo } from './delivery-helpers';

const HOUR_MS = 3_600_000;

/**
 * Issue 15: an internal record the publisher cannot read goes to the internal dead letters;
 * a retry record the chain cannot read must not leave its endpoint held for ever.
 * The endpoint's batch waits in the 1 h retry topic; while the publisher is down, the chain's
 * position moves past that record and an unreadable one keyed by the endpoint takes its place.
 */
describe('unreadable internal records', () => {
  let stack: TidingsStack;
  let producer: Producer;
  let db: Client;

  before(async () => {
    // The lost-retry check every second, with a second's clock margin (defaults: 1 min, 5 min).
    ({ stack, producer } = await startStackAndProducer('unreadable', { RETRY_SCHEDULE: '1h*3', LOST_RETRY_CHECK_INTERVAL_MS: '1000', LOST_RETRY_GRACE_MS: '1000' }));
    db = new Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
  });

  after(async () => {
    await db?.end();
    await stopStackAndProducer(stack, producer);
  });

  const count = async (sql: string, id: string): Promise<number> => Number((await db.query<{ n: string }>(sql, [id])).rows[0]!.n);

  /** The first record on the internal dead letters keyed `key`, with its headers as strings. */
  const internalDeadLetter = async (key: string): Promise<{ value: string | null; headers: Record<string, string> }> => {
    const reader = await TopicReader.open(kafkaFor(stack), `${stack.env.KAFKA_TOPIC_PREFIX!}${INTERNAL_TOPICS.internalDeadLetters}`);
    try {
      const letter = await reader.waitFor(`the internal dead letter keyed ${key}`, (records) => records.find((r) => r.key === key));
      return { value: letter.value?.toString() ?? null, headers: Object.fromEntries(Object.entries(letter.headers).map(([k, v]) => [k, String(v)])) };
    } finally {
      await reader.stop();
    }
  };

  /**
   * An endpoint held `retrying` with a second event parked behind its batch; then, with the
   * publisher down, the chain's position moved past the batch's retry record (as if it had been
   * read, or deleted by retention) and `replacement` written after it. The publisher restarts.
   */
  async function heldThenLost(tailnet: string, path: string, replacement: (endpointId: string) => { key: string | null; value: string }) {
    const key = await stack.apiKey(tailnet);
    stack.receiver.answers.set(path, { status: 500 });
    const endpoint = await createEndpoint(stack, key, tailnet, path);
    const [first] = await emitNodeEvents(stack, producer, tailnet, ['first']);
    await waitFor('the first attempt', () => requestsTo(stack, path).some(isPayload), 30_000);
    await waitFor('the endpoint held', async () => (await count(`SELECT count(*) AS n FROM publisher_delivery_holds WHERE endpoint_id = $1 AND state = 'retrying'`, endpoint.endpointId)) === 1, 30_000);
    const [second] = await emitNodeEvents(stack, producer, tailnet, ['second']);
    await waitFor('the second event parked', async () => (await count('SELECT count(*) AS n FROM publisher_waiting_items WHERE endpoint_id = $1', endpoint.endpointId)) === 1, 30_000);

    await stack.services.get('publisher')!.stop();
    stack.services.delete('publisher');
    const topic = retryTopicName(stack.env.KAFKA_TOPIC_PREFIX!, HOUR_MS);
    const admin = kafkaFor(stack).admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({ groupId: `${stack.env.KAFKA_TOPIC_PREFIX!}${CONSUMERS.publisherRetries.group}`, topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
    await admin.disconnect();
    const [written] = await producer.send({ topic, messages: [replacement(endpoint.endpointId)] });
    stack.receiver.answers.set(path, { status: 200 });
    await stack.start('publisher');
    return { endpoint, first, second, topic, written };
  }

  it('a retry record: after a publisher restart, leaves no endpoint held and is on the internal dead letters with its reason', async () => {
    const { endpoint, first, second, topic, written } = await heldThenLost('unreadable.example.com', '/flaky', (endpointId) => ({ key: endpointId, value: '{"endpointId": truncated' }));

    await waitFor('the waiting event delivered', () => deliveredEvents(stack, endpoint).length >= 1, 60_000);
    assert.deepEqual(deliveredEvents(stack, endpoint).map((e) => e.id), [second], 'the event behind the lost batch goes out; the lost batch does not');
    assert.notEqual(first, second);
    await waitFor('no hold left', async () => (await count('SELECT count(*) AS n FROM publisher_delivery_holds WHERE endpoint_id = $1', endpoint.endpointId)) === 0, 30_000);

    const letter = await internalDeadLetter(endpoint.endpointId);
    assert.equal(letter.value, '{"endpointId": truncated', 'the record as received');
    assert.equal(letter.headers[KAFKA_HEADERS.dlqReasonCode], 'not_json');
    assert.match(letter.headers[KAFKA_HEADERS.dlqReason] ?? '', /not JSON/);
    assert.equal(letter.headers[KAFKA_HEADERS.dlqSourceTopic], topic);
    assert.equal(letter.headers[KAFKA_HEADERS.dlqSourcePartition], String(written!.partition));
    assert.equal(letter.headers[KAFKA_HEADERS.dlqSourceOffset], written!.baseOffset);

    const metrics = await (await fetch(stack.metricsUrl('publisher'))).text();
    assert.match(metrics, new RegExp(`^tidings_publisher_unreadable_records_total\\{topic="${topic.replace(/\./g, '\\.')}",reason="not_json"\\} 1$`, 'm'));
  });

  it('a retry record keyed by nothing: the lost-retry check releases the hold once the chain has read past where its record was', async () => {
    const { endpoint, second } = await heldThenLost('keyless.example.com', '/keyless', () => ({ key: null, value: 'not json, and no key' }));
    await waitFor('the waiting event delivered', () => deliveredEvents(stack, endpoint).length >= 1, 60_000);
    assert.deepEqual(deliveredEvents(stack, endpoint).map((e) => e.id), [second], 'the event behind the lost batch goes out');
    await waitFor('no hold left', async () => (await count('SELECT count(*) AS n FROM publisher_delivery_holds WHERE endpoint_id = $1', endpoint.endpointId)) === 0, 30_000);
    const metrics = await (await fetch(stack.metricsUrl('publisher'))).text();
    assert.match(metrics, /^tidings_publisher_released_holds_total\{cause="record_gone"\} [1-9]/m);
    const reasons = stack.services.get('publisher')!.logLines<{ endpointId?: string; cause?: string }>().filter((l) => l.msg === 'hold released without its retry' && l.endpointId === endpoint.endpointId);
    assert.deepEqual(reasons.map((l) => l.cause), ['record_gone']);
  });

  it('on the lanes and the notices topic, is dead-lettered too, with its reason, and what follows still goes out', async () => {
    const tailnet = 'lanes.example.com';
    const key = await stack.apiKey(tailnet);
    const endpoint = await createEndpoint(stack, key, tailnet, '/lanes');
    const prefix = stack.env.KAFKA_TOPIC_PREFIX!;
    const lanes = `${prefix}${INTERNAL_TOPICS.webhookEvents}`;
    const notices = `${prefix}${INTERNAL_TOPICS.webhookNotices}`;
    await producer.send({ topic: lanes, messages: [{ key: endpoint.endpointId, value: JSON.stringify({ schemaVersion: 1, kind: 'event', endpointId: endpoint.endpointId }) }] });
    await producer.send({ topic: notices, messages: [{ key: `notice-${endpoint.endpointId}`, value: 'not json' }] });
    const [after] = await emitNodeEvents(stack, producer, tailnet, ['after']);
    await waitFor('the event after it', () => deliveredEvents(stack, endpoint).length >= 1, 30_000);
    assert.deepEqual(deliveredEvents(stack, endpoint).map((e) => e.id), [after]);

    const lane = await internalDeadLetter(endpoint.endpointId);
    assert.equal(lane.headers[KAFKA_HEADERS.dlqSourceTopic], lanes);
    assert.equal(lane.headers[KAFKA_HEADERS.dlqReasonCode], 'invalid');
    assert.match(lane.headers[KAFKA_HEADERS.dlqReason] ?? '', /event/);
    const notice = await internalDeadLetter(`notice-${endpoint.endpointId}`);
    assert.equal(notice.headers[KAFKA_HEADERS.dlqSourceTopic], notices);
    assert.equal(notice.headers[KAFKA_HEADERS.dlqReasonCode], 'not_json');
    const metrics = await (await fetch(stack.metricsUrl('publisher'))).text();
    for (const [topic, reason] of [[lanes, 'invalid'], [notices, 'not_json']]) {
      assert.match(metrics, new RegExp(`^tidings_publisher_unreadable_records_total\\{topic="${topic!.replace(/\./g, '\\.')}",reason="${reason}"\\} 1$`, 'm'));
    }
  });
});
