import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import {
  batchReplayRecordSchema,
  CONSUMERS,
  KAFKA_HEADERS,
  resolveTopicNames,
  type BatchReplayRecord,
  type DeadLetterRecord,
  type DeliveryAttemptRecord,
  type TopicNames,
  type WebhookEvent,
} from '@tidings/contracts';
import type { ConsumedRecord } from '@tidings/kafka';
import { assertProblem, TidingsStack, TopicReader, waitFor } from '@tidings/testing';

type Webhook = { endpointId: string; status: string; disabledReason: string | null };
type Attempt = { attempt: number; outcome: string; status: number | null; reason: string | null; latencyMs: number; attemptedAt: string; nextAttemptAt: string | null };
type Delivery = {
  batchId: string;
  state: string;
  eventIds: string[];
  attempts: Attempt[];
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  deadLetter: { cause: string; reason: string; deadLetteredAt: string; replayedAt: string | null } | null;
  request?: { headers: Record<string, string>; events: unknown[] } | null;
};

const T0 = Date.UTC(2025, 10, 20, 10, 0);
const at = (minute: number) => new Date(T0 + minute * 60_000).toISOString();

/**
 * The deliveries API over HTTP against the real service, Postgres and Kafka: attempt and
 * dead-letter records are produced as the publisher produces them, replays read back from the
 * webhook-events topic.
 */
describe('deliveries API', () => {
  let stack: TidingsStack;
  let kafka: Kafka;
  let producer: Producer;
  let admin: Admin;
  let topics: TopicNames;
  let lane: TopicReader;
  const laneRecords: ConsumedRecord[] = [];
  let key: string;
  let otherKey: string;
  const tailnet = 'deliveries.example.com';
  const otherTailnet = 'other.example.com';
  const alice = 'alice@deliveries.example.com';

  before(async () => {
    stack = await TidingsStack.create('deliveries', { EGRESS_ALLOW_CIDRS: '' });
    await stack.start('subscriptions');
    key = await stack.apiKey(tailnet, alice);
    otherKey = await stack.apiKey(otherTailnet, 'mallory@other.example.com');
    topics = resolveTopicNames({ domainEventsTopic: stack.env.DOMAIN_EVENTS_TOPIC!, prefix: stack.env.KAFKA_TOPIC_PREFIX!, retryDelaysMs: [] });
    kafka = new Kafka({ clientId: 'deliveries-test', brokers: stack.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    admin = kafka.admin();
    await admin.connect();
    lane = await TopicReader.open(kafka, topics.webhookEvents, (r) => laneRecords.push(r));
  });

  after(async () => {
    await lane?.stop();
    await admin?.disconnect();
    await producer?.disconnect();
    await stack?.stop();
  });

  const create = async (subscriptions = ['nodeCreated'], k = key, t = tailnet) => {
    const res = await stack.api('POST', `/api/v2/tailnet/${t}/webhooks`, k, { endpointUrl: 'https://hooks.example.com/deliveries', subscriptions });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body as Webhook).endpointId;
  };
  const webhook = async (id: string, k = key) => (await stack.api('GET', `/api/v2/webhooks/${id}`, k)).body as Webhook;
  const deliveries = async (id: string, query = '') => {
    const res = await stack.api('GET', `/api/v2/webhooks/${id}/deliveries${query}`, key);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body as { deliveries: Delivery[] }).deliveries;
  };
  const delivery = async (id: string, batchId: string) => {
    const res = await stack.api('GET', `/api/v2/webhooks/${id}/deliveries/${batchId}`, key);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as Delivery;
  };

  /** Data keys deliberately out of sorted order: a replay must keep the body as it was. */
  const event = (id = randomUUID()): WebhookEvent => ({
    id,
    timestamp: at(0),
    version: 1,
    type: 'nodeNeedsApproval',
    tailnet,
    message: 'Node laptop (n1) needs approval',
    data: { nodeID: 'n1', deviceName: 'laptop', managedBy: 'a@x', actor: 'a@x', url: 'https://login.example.com/admin/machines/n1' },
  });

  function attempt(endpointId: string, batchId: string, n: number, minute: number, outcome: 'delivered' | 'failed', extra: Partial<DeliveryAttemptRecord> = {}): DeliveryAttemptRecord {
    return {
      schemaVersion: 1,
      endpointId,
      tailnet,
      batchId,
      attempt: n,
      outcome,
      status: outcome === 'delivered' ? 200 : 500,
      reason: outcome === 'delivered' ? null : 'HTTP 500',
      latencyMs: 42.5,
      attemptedAt: at(minute),
      eventIds: [`${batchId}-e1`],
      nextAttemptAt: null,
      ...extra,
    };
  }

  function deadLetter(endpointId: string, batchId: string, minute: number, cause: DeadLetterRecord['cause'], attempts: number, events: WebhookEvent[] = [event()]): DeadLetterRecord {
    return { schemaVersion: 1, endpointId, tailnet, batch: { id: batchId, events }, cause, attempts, reason: `dead-lettered: ${cause}`, deadLetteredAt: at(minute) };
  }

  type Raw = { key: string; value: string };
  const raw = (record: DeliveryAttemptRecord | DeadLetterRecord): Raw => ({ key: record.endpointId, value: JSON.stringify(record) });

  /** Produces, then waits until the service's consumer group has committed past every record. */
  async function produce(topic: string, ...messages: Raw[]): Promise<void> {
    await producer.send({ topic, messages });
    await consumed([topics.deliveryAttempts, topics.webhookDeadLetters]);
  }

  async function consumed(topicNames: string[]): Promise<void> {
    const groupId = `${stack.env.KAFKA_TOPIC_PREFIX}${CONSUMERS.subscriptionsDeliveries.group}`;
    await waitFor(`${groupId} to commit past every record`, async () => {
      for (const topic of topicNames) {
        const ends = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        for (const end of ends) {
          const offset = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
          if (BigInt(end.high) > BigInt(end.low) && BigInt(offset) < BigInt(end.high)) return false;
        }
      }
      return true;
    }, 60_000, 200);
  }

  /** Replay records of one endpoint on its lane, everything produced so far included. */
  async function replaysOf(endpointId: string): Promise<{ key: string | null; value: BatchReplayRecord; text: string }[]> {
    await lane.sync();
    return laneRecords
      .filter((r) => r.key === endpointId)
      .map((r) => ({ key: r.key, text: r.value!.toString('utf8'), value: batchReplayRecordSchema.parse(JSON.parse(r.value!.toString('utf8'))) }));
  }

  const logLines = () => stack.services.get('subscriptions')!.logLines<{ reason?: string; topic?: string }>();

  describe('one endpoint\'s batches', () => {
    let a: string;
    const b4Events = [event(), event()];
    const b1Events = [{ ...event(), data: { deviceName: '<img src=x onerror=alert(1)>' } }];
    const b1Headers = { 'content-type': 'application/json', 'webhook-id': 'b1', 'webhook-timestamp': '1764460800', 'webhook-signature': 'v1,c2ln' };
    const b5Events = [event(), event(), event()];

    before(async () => {
      a = await create();
      await produce(
        topics.deliveryAttempts,
        // b1: failed, then delivered; its first attempt arrives twice, the copy altered (first wins).
        raw(attempt(a, 'b1', 1, 0, 'failed', { nextAttemptAt: at(60), request: { headers: b1Headers, events: b1Events } })),
        raw(attempt(a, 'b1', 1, 0, 'failed', { status: 599, reason: 'a redelivered copy', request: { headers: { 'webhook-id': 'altered' }, events: b1Events } })),
        raw(attempt(a, 'b1', 2, 60, 'delivered')),
        // b2: failed, another attempt due.
        raw(attempt(a, 'b2', 1, 70, 'failed', { status: null, reason: 'timeout after 15000 ms', nextAttemptAt: at(130) })),
        // b3: failed, nothing due, not dead-lettered (yet).
        raw(attempt(a, 'b3', 1, 80, 'failed', { status: 503 })),
        // b4: failed twice, then dead-lettered.
        raw(attempt(a, 'b4', 1, 90, 'failed', { nextAttemptAt: at(91) })),
        raw(attempt(a, 'b4', 2, 91, 'failed')),
        // Same endpoint id, another tailnet: not this endpoint's, shown nowhere.
        raw({ ...attempt(a, 'bx', 1, 200, 'failed'), tailnet: otherTailnet }),
      );
      await produce(
        topics.webhookDeadLetters,
        raw(deadLetter(a, 'b4', 92, 'exhausted', 2, b4Events)),
        raw(deadLetter(a, 'b4', 92, 'exhausted', 2, b4Events)),
        // b5: never attempted, dead-lettered behind b4.
        raw(deadLetter(a, 'b5', 93, 'endpointDisabled', 0, b5Events)),
      );
    });

    it('lists every batch newest first, with its state and attempts', async () => {
      const list = await deliveries(a);
      assert.deepEqual(list.map((d) => [d.batchId, d.state]), [['b5', 'deadLettered'], ['b4', 'deadLettered'], ['b3', 'failed'], ['b2', 'retrying'], ['b1', 'delivered']]);

      const [b5, b4, b3, b2, b1] = list as [Delivery, Delivery, Delivery, Delivery, Delivery];
      assert.deepEqual(b1.attempts, [
        { attempt: 1, outcome: 'failed', status: 500, reason: 'HTTP 500', latencyMs: 42.5, attemptedAt: at(0), nextAttemptAt: at(60) },
        { attempt: 2, outcome: 'delivered', status: 200, reason: null, latencyMs: 42.5, attemptedAt: at(60), nextAttemptAt: null },
      ]);
      assert.deepEqual([b1.lastAttemptAt, b1.nextAttemptAt, b1.deadLetter, b1.eventIds], [at(60), null, null, ['b1-e1']]);
      assert.deepEqual([b2.attempts[0]!.status, b2.attempts[0]!.reason, b2.lastAttemptAt, b2.nextAttemptAt], [null, 'timeout after 15000 ms', at(70), at(130)]);
      assert.deepEqual([b3.attempts.length, b3.attempts[0]!.status, b3.nextAttemptAt, b3.deadLetter], [1, 503, null, null]);
      assert.deepEqual(b4.attempts.map((x) => x.attempt), [1, 2]);
      assert.deepEqual(b4.deadLetter, { cause: 'exhausted', reason: 'dead-lettered: exhausted', deadLetteredAt: at(92), replayedAt: null });
      assert.equal(b4.nextAttemptAt, null);
      assert.deepEqual(b5.attempts, []);
      assert.equal(b5.lastAttemptAt, null);
      assert.deepEqual(b5.eventIds, b5Events.map((e) => e.id), 'a batch never attempted takes its event ids from its dead letter');
      assert.equal(b5.deadLetter?.cause, 'endpointDisabled');
      assert.ok(!logLines().some((l) => /duplicate key/.test(l.reason ?? '')), 'redelivered records are no conflict');
    });

    it('honours limit, and refuses a bad one with 400 naming it', async () => {
      assert.deepEqual((await deliveries(a, '?limit=2')).map((d) => d.batchId), ['b5', 'b4']);
      assert.equal((await deliveries(a, '?limit=200')).length, 5);
      for (const bad of ['0', '201', 'abc', '1.5', '-3']) {
        assertProblem(await stack.api('GET', `/api/v2/webhooks/${a}/deliveries?limit=${bad}`, key), 400, 'limit');
      }
    });

    it('answers one delivery, and 404 for a batch it does not have', async () => {
      assert.deepEqual(await delivery(a, 'b3'), { ...(await deliveries(a)).find((d) => d.batchId === 'b3'), request: null }, 'what b3 sent was not recorded');
      assertProblem(await stack.api('GET', `/api/v2/webhooks/${a}/deliveries/nope`, key), 404);
      assertProblem(await stack.api('GET', `/api/v2/webhooks/${a}/deliveries/bx`, key), 404, undefined, /bx/);
    });

    it("shows one delivery's request: the first attempt's headers and events as sent, or a dead letter's events", async () => {
      assert.deepEqual((await delivery(a, 'b1')).request, { headers: b1Headers, events: b1Events }, 'the first record of the first attempt wins');
      assert.deepEqual((await delivery(a, 'b5')).request, { headers: {}, events: b5Events }, 'never sent: its events, no headers');
      assert.equal((await deliveries(a)).find((d) => d.batchId === 'b1')!.request, undefined, 'a list carries no requests');
    });

    it('shows the endpoint failing while its latest attempt failed, in list, get and patch answers', async () => {
      assert.equal((await webhook(a)).status, 'failing');
      const listed = (await stack.api('GET', '/api/v2/tailnet/-/webhooks', key)).body as { webhooks: Webhook[] };
      assert.equal(listed.webhooks.find((w) => w.endpointId === a)?.status, 'failing');
      const patched = await stack.api('PATCH', `/api/v2/webhooks/${a}`, key, { subscriptions: ['nodeDeleted'] });
      assert.equal((patched.body as Webhook).status, 'failing');
    });

    it('replays a dead-lettered batch as it was, to the endpoint\'s lane, as often as asked', async () => {
      const res = await stack.api('POST', `/api/v2/webhooks/${a}/deliveries/b4/replay`, key);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.deepEqual(res.body, { batchId: 'b4' });
      const [first] = await replaysOf(a);
      assert.ok(first, 'a replay record on the webhook-events topic');
      assert.equal(first.key, a);
      assert.deepEqual(first.value, { schemaVersion: 1, kind: 'replay', endpointId: a, tailnet, batch: { id: 'b4', events: b4Events }, requestedBy: alice });
      // Byte for byte: same keys in the same order, so the publisher sends the same body.
      assert.equal(JSON.stringify((JSON.parse(first.text) as BatchReplayRecord).batch.events), JSON.stringify(b4Events));
      const replayedAt = (await delivery(a, 'b4')).deadLetter?.replayedAt;
      assert.ok(replayedAt && Date.now() - Date.parse(replayedAt) < 60_000, `replayedAt ${replayedAt}`);
      assert.equal((await delivery(a, 'b4')).state, 'deadLettered', 'no attempt since the replay yet');

      assert.equal((await stack.api('POST', `/api/v2/webhooks/${a}/deliveries/b4/replay`, key)).status, 202, 'a second replay is a new request');
      assert.deepEqual((await replaysOf(a)).map((r) => r.value.batch.id), ['b4', 'b4']);
      assert.equal((await stack.api('POST', `/api/v2/webhooks/${a}/deliveries/b5/replay`, key)).status, 202, 'a batch never attempted replays too');
      assert.deepEqual((await replaysOf(a)).map((r) => r.value.batch.id), ['b4', 'b4', 'b5']);
    });

    it('refuses to replay what was not dead-lettered (409) or does not exist (404), sending nothing', async () => {
      for (const batchId of ['b1', 'b2', 'b3']) {
        assertProblem(await stack.api('POST', `/api/v2/webhooks/${a}/deliveries/${batchId}/replay`, key), 409, undefined, /not dead-lettered/);
      }
      assertProblem(await stack.api('POST', `/api/v2/webhooks/${a}/deliveries/nope/replay`, key), 404);
      assertProblem(await stack.api('POST', `/api/v2/webhooks/${a}/deliveries/bx/replay`, key), 404);
      assert.equal((await replaysOf(a)).length, 3);
    });

    it('refuses to replay while the endpoint is disabled (409, enable it first)', async () => {
      assert.equal((await stack.api('POST', `/api/v2/webhooks/${a}/disable`, key, { reason: 'on hold' })).status, 200);
      assert.equal((await webhook(a)).status, 'disabled', 'disabled wins over failing');
      assertProblem(await stack.api('POST', `/api/v2/webhooks/${a}/deliveries/b4/replay`, key), 409, undefined, /enable it first/);
      assert.equal((await replaysOf(a)).length, 3);
      assert.equal((await stack.api('POST', `/api/v2/webhooks/${a}/enable`, key)).status, 200);
    });

    it('hides the endpoint\'s deliveries from another tailnet behind 404', async () => {
      for (const [method, path] of [
        ['GET', `/api/v2/webhooks/${a}/deliveries`],
        ['GET', `/api/v2/webhooks/${a}/deliveries/b1`],
        ['POST', `/api/v2/webhooks/${a}/deliveries/b4/replay`],
        ['POST', `/api/v2/webhooks/${a}/enable`],
        ['GET', '/api/v2/webhooks/not-a-uuid/deliveries'],
        ['GET', `/api/v2/webhooks/${randomUUID()}/deliveries`],
      ] as const) {
        assertProblem(await stack.api(method, path, otherKey, method === 'POST' && path.endsWith('enable') ? { redeliverDeadLetters: true } : undefined), 404);
      }
      assertProblem(await stack.api('GET', `/api/v2/webhooks/${a}/deliveries`, undefined), 401);
      assert.equal((await replaysOf(a)).length, 3, 'nothing replayed for another tailnet');
    });
  });

  describe('status', () => {
    it('is enabled with no attempts or when the latest attempt delivered, failing when it failed', async () => {
      const id = await create();
      assert.equal((await webhook(id)).status, 'enabled');
      await produce(topics.deliveryAttempts, raw(attempt(id, `${id}-1`, 1, 10, 'failed')));
      assert.equal((await webhook(id)).status, 'failing');
      // Ordered by when they were made, not by when they arrived.
      await produce(topics.deliveryAttempts, raw(attempt(id, `${id}-2`, 1, 30, 'delivered')), raw(attempt(id, `${id}-3`, 1, 20, 'failed')));
      assert.equal((await webhook(id)).status, 'enabled');
      const created = await stack.api('POST', `/api/v2/tailnet/${tailnet}/webhooks`, key, { endpointUrl: 'https://hooks.example.com/new', subscriptions: ['nodeCreated'] });
      assert.equal((created.body as Webhook).status, 'enabled');
    });
  });

  describe('limits', () => {
    it('shows 50 batches by default and at most 200', async () => {
      const id = await create();
      await produce(topics.deliveryAttempts, ...Array.from({ length: 205 }, (_, i) => raw(attempt(id, `${id}-${String(i).padStart(3, '0')}`, 1, i, 'delivered'))));
      const defaults = await deliveries(id);
      assert.equal(defaults.length, 50);
      assert.equal(defaults[0]!.batchId, `${id}-204`, 'newest first');
      const most = await deliveries(id, '?limit=200');
      assert.equal(most.length, 200);
      assert.equal(most.at(-1)!.batchId, `${id}-005`);
    });
  });

  describe('a replayed batch', () => {
    it('follows its new attempts, and a later dead-lettering makes it replayable again', async () => {
      const id = await create();
      const events = [event()];
      await produce(topics.deliveryAttempts, raw(attempt(id, 'h1', 1, 10, 'failed')));
      await produce(topics.webhookDeadLetters, raw(deadLetter(id, 'h1', 11, 'gone', 1, events)));
      assert.equal((await stack.api('POST', `/api/v2/webhooks/${id}/deliveries/h1/replay`, key)).status, 202);
      await produce(topics.deliveryAttempts, raw(attempt(id, 'h1', 2, 2_000_000, 'delivered')));
      let h1 = await delivery(id, 'h1');
      assert.equal(h1.state, 'delivered');
      assert.ok(h1.deadLetter?.replayedAt);
      assert.equal((await webhook(id)).status, 'enabled');

      // Dead-lettered again later: a new dead letter, not replayed yet; an old copy changes nothing.
      await produce(topics.webhookDeadLetters, raw(deadLetter(id, 'h1', 2_000_001, 'exhausted', 2, events)), raw(deadLetter(id, 'h1', 11, 'gone', 1, events)));
      h1 = await delivery(id, 'h1');
      assert.equal(h1.state, 'deadLettered');
      assert.deepEqual(h1.deadLetter, { cause: 'exhausted', reason: 'dead-lettered: exhausted', deadLetteredAt: at(2_000_001), replayedAt: null });
    });
  });

  describe('enable with redeliverDeadLetters', () => {
    it('replays every dead letter not replayed yet, oldest first, once', async () => {
      const id = await create();
      const batches = ['f1', 'f2', 'f3', 'f4'];
      // Produced out of order; dead-lettered at minutes 10, 20, 30, 40.
      await produce(topics.webhookDeadLetters, ...[2, 0, 3, 1].map((i) => raw(deadLetter(id, batches[i]!, (i + 1) * 10, 'endpointDisabled', 0))));
      assert.equal((await stack.api('POST', `/api/v2/webhooks/${id}/deliveries/f2/replay`, key)).status, 202);
      assert.deepEqual((await replaysOf(id)).map((r) => r.value.batch.id), ['f2']);

      // Enabling without asking (no body, an empty body, an explicit false) replays nothing.
      await stack.api('POST', `/api/v2/webhooks/${id}/disable`, key);
      assert.equal((await stack.api('POST', `/api/v2/webhooks/${id}/enable`, key)).status, 200);
      const empty = await fetch(`${stack.apiUrl}/api/v2/webhooks/${id}/enable`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '' });
      assert.equal(empty.status, 200, await empty.text());
      assert.equal((await stack.api('POST', `/api/v2/webhooks/${id}/enable`, key, { redeliverDeadLetters: false })).status, 200);
      assert.deepEqual((await replaysOf(id)).map((r) => r.value.batch.id), ['f2']);

      assertProblem(await stack.api('POST', `/api/v2/webhooks/${id}/enable`, key, { redeliverDeadLetters: 'yes' }), 400, 'redeliverDeadLetters');
      assertProblem(await stack.api('POST', `/api/v2/webhooks/${id}/enable`, key, '{"redeliverDeadLetters": '), 400, '(body)');

      await stack.api('POST', `/api/v2/webhooks/${id}/disable`, key);
      const enabled = await stack.api('POST', `/api/v2/webhooks/${id}/enable`, key, { redeliverDeadLetters: true });
      assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
      assert.equal((enabled.body as Webhook).status, 'enabled');
      const replays = await replaysOf(id);
      assert.deepEqual(replays.map((r) => r.value.batch.id), ['f2', 'f1', 'f3', 'f4']);
      assert.ok(replays.every((r) => r.key === id && r.value.requestedBy === alice && r.value.kind === 'replay'));
      const list = await deliveries(id);
      assert.ok(list.every((d) => d.deadLetter?.replayedAt), JSON.stringify(list));

      // Asked again: everything was sent already.
      assert.equal((await stack.api('POST', `/api/v2/webhooks/${id}/enable`, key, { redeliverDeadLetters: true })).status, 200);
      assert.equal((await replaysOf(id)).length, 4);
    });
  });

  describe('unreadable records', () => {
    it('are logged with the reason and skipped; the records behind them still apply', async () => {
      const id = await create();
      const valid = attempt(id, 'g1', 1, 10, 'failed');
      await produce(
        topics.deliveryAttempts,
        { key: id, value: 'not json' },
        { key: id, value: JSON.stringify({ ...valid, outcome: 'maybe' }) },
        { key: id, value: JSON.stringify({ ...valid, endpointId: 'not-a-uuid' }) },
        { key: id, value: JSON.stringify({ ...valid, attempt: 3_000_000_000 }) },
        raw(valid),
      );
      await produce(topics.webhookDeadLetters, { key: id, value: JSON.stringify({ ...deadLetter(id, 'g1', 11, 'exhausted', 1), batch: { id: 'g1', events: [] } }) }, raw(deadLetter(id, 'g1', 11, 'exhausted', 1)));

      const g1 = await delivery(id, 'g1');
      assert.equal(g1.state, 'deadLettered');
      assert.deepEqual(g1.attempts.map((x) => x.attempt), [1]);

      const skipped = logLines().filter((l) => l.msg.startsWith('skipping'));
      const reasons = skipped.map((l) => `${l.msg}: ${l.reason}`);
      for (const expected of [
        /unreadable delivery record: the record value is not JSON/,
        /unreadable delivery record: outcome: /,
        /the database refused: .*uuid/,
        /the database refused: .*out of range/,
        /unreadable delivery record: batch\.events: /,
      ]) {
        assert.ok(reasons.some((r) => expected.test(r)), `${expected} in ${JSON.stringify(reasons)}`);
      }
      assert.ok(!logLines().some((l) => l.msg === 'record handler failed; it will be retried'), 'no record was retried');

      const reader = await TopicReader.open(kafka, topics.internalDeadLetters);
      const codes = await reader.waitFor('five internal dead letters', (letters) => {
        const m = letters.filter((r) => r.key === id).map((r) => `${r.headers[KAFKA_HEADERS.dlqSourceTopic]?.toString()}:${r.headers[KAFKA_HEADERS.dlqReasonCode]?.toString()}`);
        return m.length >= 5 ? m.sort() : undefined;
      });
      await reader.stop();
      assert.deepEqual(codes, [`${topics.deliveryAttempts}:invalid`, `${topics.deliveryAttempts}:not_json`, `${topics.deliveryAttempts}:refused`, `${topics.deliveryAttempts}:refused`, `${topics.webhookDeadLetters}:invalid`].sort());
    });
  });
});
