import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Producer } from 'kafkajs';
import { Client } from 'pg';
import { retryTopicName } from '@tidings/contracts';
import { type TidingsStack, TopicReader, verifyWebhook, waitFor } from '@tidings/testing';
import { createEndpoint, deliveredEvents, emitNodeEvents, eventsOf, isPayload, kafkaFor, startStackAndProducer, stopStackAndProducer, payloadPartition, requestsTo, type Endpoint } from './delivery-helpers';

const SCHEDULE_MS = 2_000;

/**
 * Delivery to PRODUCT's Output and "Order, retries, and telling when we stop", against the real
 * broker, Postgres, egress and an HTTPS receiver, with the schedule scaled to seconds
 * (RETRY_SCHEDULE=2s*3: a retry 2 s after each failure, three retries, then dead letters).
 */
describe('batched delivery, the retry chain and order', () => {
  let stack: TidingsStack;
  let producer: Producer;

  before(async () => {
    ({ stack, producer } = await startStackAndProducer('retries', { RETRY_SCHEDULE: '2s*3', BATCH_LINGER_MS: '1000' }));
  });

  after(async () => {
    await stopStackAndProducer(stack, producer);
  });

  type Delivery = { batchId: string; state: string; eventIds: string[]; attempts: unknown[]; deadLetter: { cause: string; reason: string } | null };
  /** Dead letters as the deliveries API shows them (projected from the dead-letter topic). */
  const deadLettersOf = async (key: string, id: string): Promise<Delivery[]> =>
    ((await stack.api('GET', `/api/v2/webhooks/${id}/deliveries`, key)).body as { deliveries: Delivery[] }).deliveries.filter((d) => d.deadLetter !== null);
  const webhookOf = async (key: string, id: string) => (await stack.api('GET', `/api/v2/webhooks/${id}`, key)).body as { status: string; disabledReason: string | null };

  it('batches a burst (at most BATCH_MAX_EVENTS per POST), in order, signed with both schemes', async () => {
    const tailnet = 'batch.example.com';
    const key = await stack.apiKey(tailnet);
    const endpoint = await createEndpoint(stack, key, tailnet, '/batch');
    const devices = Array.from({ length: 300 }, (_, i) => `d${i}`);
    const ids = await emitNodeEvents(stack, producer, tailnet, devices);
    await waitFor('300 events delivered', () => deliveredEvents(stack, endpoint).length >= 300, 60_000);

    const posts = requestsTo(stack, '/batch').filter(isPayload);
    for (const post of posts) {
      const verified = verifyWebhook(post, endpoint.secret, endpoint.standardWebhooksSecret);
      assert.ok(verified.tailscaleSignatureValid && verified.standardSignatureValid, 'both signatures verify');
    }
    const sizes = posts.map((p) => eventsOf(p).length);
    assert.ok(Math.max(...sizes) <= 100, `no batch above 100 events: ${sizes.join(',')}`);
    assert.ok(Math.max(...sizes) > 1, `events were batched: ${sizes.join(',')}`);
    assert.ok(posts.length < 300, `fewer POSTs than events: ${posts.length}`);
    assert.deepEqual(deliveredEvents(stack, endpoint).map((e) => e.id), ids, 'every event once, in the order produced');
  });

  it('sends a lone event at once, without waiting for company', async () => {
    const tailnet = 'lone.example.com';
    const key = await stack.apiKey(tailnet);
    const endpoint = await createEndpoint(stack, key, tailnet, '/lone');
    const started = Date.now();
    await emitNodeEvents(stack, producer, tailnet, ['solo']);
    await waitFor('the event', () => deliveredEvents(stack, endpoint).length === 1, 30_000);
    // Generous for a loaded 2-core machine; the linger (1 s) would add a full second.
    assert.ok(Date.now() - started < 3_000, `delivered after ${Date.now() - started} ms`);
  });

  it('retries a failing endpoint on schedule, then dead-letters, disables and tells', async () => {
    const tailnet = 'failing.example.com';
    const key = await stack.apiKey(tailnet);
    stack.receiver.answers.set('/down', { status: 500 });
    const failing = await createEndpoint(stack, key, tailnet, '/down');
    const watcher = await createEndpoint(stack, key, tailnet, '/watcher', ['categoryWebhookManagement']);

    const [first] = await emitNodeEvents(stack, producer, tailnet, ['first']);
    await waitFor('the first attempt', () => requestsTo(stack, '/down').some(isPayload), 30_000);
    // Produced while the first batch waits: it must wait behind it, and follow it to the dead letters.
    const [second] = await emitNodeEvents(stack, producer, tailnet, ['second']);

    const attempts = await waitFor('four attempts', () => {
      const a = requestsTo(stack, '/down').filter((w) => eventsOf(w).some((e) => e.id === first));
      return a.length >= 4 ? a : undefined;
    }, 60_000);
    const ids = new Set(attempts.map((a) => String(a.headers['webhook-id'])));
    assert.equal(ids.size, 1, 'one batch id across retries');
    assert.equal(new Set(attempts.map((a) => a.body)).size, 1, 'one body across retries');
    const gaps = attempts.slice(1).map((a, i) => a.receivedAt.getTime() - attempts[i]!.receivedAt.getTime());
    // Never early; the upper bound only says the schedule was kept, not how busy the machine was.
    for (const gap of gaps) assert.ok(gap >= SCHEDULE_MS - 100 && gap < SCHEDULE_MS * 5, `retry gaps follow the 2 s schedule: ${gaps.join(', ')} ms`);

    const disabled = await waitFor('the endpoint disabled', async () => {
      const w = await webhookOf(key, failing.endpointId);
      return w.status === 'disabled' ? w : undefined;
    }, 30_000);
    assert.match(disabled.disabledReason ?? '', /not delivered after 4 attempts.*answered 500/);
    const told = await waitFor('webhookDisabled to the watcher', () => requestsTo(stack, '/watcher').flatMap(eventsOf).find((e) => e.type === 'webhookDisabled'), 30_000);
    assert.match(told.data.reason ?? '', /not delivered after 4 attempts/);
    await waitFor('webhookDisabled tried at the failing endpoint too', () => requestsTo(stack, '/down').flatMap(eventsOf).some((e) => e.type === 'webhookDisabled'), 30_000);

    const letters = await waitFor('dead letters', async () => {
      const mine = await deadLettersOf(key, failing.endpointId);
      return mine.length >= 2 ? mine : undefined;
    }, 30_000);
    const exhausted = letters.find((d) => d.deadLetter?.cause === 'exhausted')!;
    assert.deepEqual(exhausted.eventIds, [first]);
    assert.equal(exhausted.attempts.length, 4);
    assert.equal(exhausted.batchId, [...ids][0]);
    const behind = letters.find((d) => d.deadLetter?.cause === 'endpointDisabled')!;
    assert.deepEqual(behind.eventIds, [second]);
    assert.ok(!requestsTo(stack, '/down').some((w) => eventsOf(w).some((e) => e.id === second)), 'the waiting event was never sent ahead of the failing batch');
    assert.equal(watcher.path, '/watcher');
  });

  it('disables at once on 410 Gone, without retrying', async () => {
    const tailnet = 'gone.example.com';
    const key = await stack.apiKey(tailnet);
    stack.receiver.answers.set('/gone', { status: 410 });
    const gone = await createEndpoint(stack, key, tailnet, '/gone');
    const [id] = await emitNodeEvents(stack, producer, tailnet, ['g']);
    const disabled = await waitFor('disabled', async () => {
      const w = await webhookOf(key, gone.endpointId);
      return w.status === 'disabled' ? w : undefined;
    }, 30_000);
    assert.match(disabled.disabledReason ?? '', /410 Gone/);
    await waitFor('the dead letter', async () => (await deadLettersOf(key, gone.endpointId)).find((d) => d.deadLetter?.cause === 'gone'), 30_000);
    // An awaited marker instead of a pause: the attempt ended in its dead letter, so a retry of it
    // would already be on the retry topic; everything there is read, and none is this endpoint's.
    const retries = await TopicReader.open(kafkaFor(stack), retryTopicName(stack.env.KAFKA_TOPIC_PREFIX!, SCHEDULE_MS));
    await retries.stop();
    assert.deepEqual(retries.records.filter((r) => r.key === gone.endpointId), [], 'no retry scheduled');
    const tries = requestsTo(stack, '/gone').filter((w) => eventsOf(w).some((e) => e.id === id));
    assert.equal(tries.length, 1, 'one attempt, no retries');

    // Back again: enabling with redelivery sends the dead-lettered batch as it was.
    stack.receiver.answers.set('/gone', { status: 200 });
    const enabled = await stack.api('POST', `/api/v2/webhooks/${gone.endpointId}/enable`, key, { redeliverDeadLetters: true });
    assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
    const again = await waitFor('the replayed batch', () => requestsTo(stack, '/gone').find((w) => w.status === 200 && eventsOf(w).some((e) => e.id === id)), 30_000);
    assert.equal(again.headers['webhook-id'], tries[0]!.headers['webhook-id'], 'same webhook-id');
    assert.equal(again.body, tries[0]!.body, 'same body');
    const deliveries = await waitFor('the replay in the deliveries API', async () => {
      const res = await stack.api('GET', `/api/v2/webhooks/${gone.endpointId}/deliveries`, key);
      const list = (res.body as { deliveries: { batchId: string; state: string }[] }).deliveries;
      return list.find((d) => d.batchId === again.headers['webhook-id'] && d.state === 'delivered') ? list : undefined;
    }, 30_000);
    assert.ok(deliveries.length >= 1);
  });

  it('keeps one endpoint in order through failures while another on its partition gets every event at once', async () => {
    const tailnet = 'order.example.com';
    const key = await stack.apiKey(tailnet);
    // Endpoints land on partitions by their id: create until two share one; the rest hear nothing.
    const candidates: Endpoint[] = [];
    let pair: [Endpoint, Endpoint] | undefined;
    while (!pair) {
      const e = await createEndpoint(stack, key, tailnet, `/candidate-${candidates.length}`, ['userDeleted']);
      const twin = candidates.find((c) => payloadPartition(c.endpointId) === payloadPartition(e.endpointId));
      candidates.push(e);
      if (twin) pair = [twin, e];
    }
    const [flaky, healthy] = pair;
    let failures = 0;
    stack.receiver.answers.set(flaky.path, (w) => (w.body.includes('"type":"nodeCreated"') && failures++ < 2 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 }));
    for (const e of pair) assert.equal((await stack.api('PATCH', `/api/v2/webhooks/${e.endpointId}`, key, { subscriptions: ['nodeCreated'] })).status, 200);

    const ids = await emitNodeEvents(stack, producer, tailnet, Array.from({ length: 30 }, (_, i) => `o${i}`));
    await waitFor('the healthy endpoint has every event', () => deliveredEvents(stack, healthy).length >= 30, 30_000);
    const healthyDone = Date.now();
    await waitFor('the flaky endpoint has every event', () => deliveredEvents(stack, flaky).length >= 30, 60_000);

    assert.deepEqual(deliveredEvents(stack, healthy).map((e) => e.id), ids, 'healthy: every event once, in order');
    assert.deepEqual(deliveredEvents(stack, flaky).map((e) => e.id), ids, 'flaky: every event once, in order, after two failures');
    const firstSuccess = requestsTo(stack, flaky.path).find((w) => isPayload(w) && w.status === 200)!;
    assert.ok(healthyDone <= firstSuccess.receivedAt.getTime() + 200, 'the healthy endpoint did not wait for the flaky one');
    const failed = requestsTo(stack, flaky.path).filter((w) => isPayload(w) && w.status === 503);
    assert.equal(failed.length, 2);
    assert.equal(failed[0]!.headers['webhook-id'], firstSuccess.headers['webhook-id'], 'the retried batch keeps its id');
  });

  it('delivers a retry whose record fell due before the endpoint\'s hold was written', async () => {
    // The lane writes the hold just after the retry record; a broker or PostgreSQL stall in
    // between (seen in the chaos run) lets the chain read the record first, and find no hold.
    const tailnet = 'slow-hold.example.com';
    const key = await stack.apiKey(tailnet);
    const endpoint = await createEndpoint(stack, key, tailnet, '/slow-hold');
    let calls = 0;
    stack.receiver.answers.set('/slow-hold', () => (calls++ === 0 ? { status: 503 } : { status: 200 }));
    const db = new Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
    try {
      // EXCLUSIVE: reads go on (the chain sees no hold), writes wait (the lane cannot record it).
      await db.query('BEGIN');
      await db.query('LOCK TABLE publisher_delivery_holds IN EXCLUSIVE MODE');
      const [id] = await emitNodeEvents(stack, producer, tailnet, ['h0']);
      await waitFor('the first attempt refused', () => calls > 0, 30_000);
      await new Promise((r) => setTimeout(r, SCHEDULE_MS + 2_000));
      assert.equal(calls, 1, 'no retry while the hold cannot be written');
      await db.query('COMMIT');
      await waitFor('the event delivered by its retry', () => deliveredEvents(stack, endpoint).some((e) => e.id === id), 40_000);
    } finally {
      await db.end();
    }
  });
});
