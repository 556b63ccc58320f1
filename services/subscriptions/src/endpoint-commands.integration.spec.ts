import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { Client } from 'pg';
import { CONSUMERS, KAFKA_HEADERS, resolveTopicNames, webhookNoticeRecordSchema, type EndpointCommandRecord, type TopicNames, type WebhookNoticeRecord } from '@tidings/contracts';
import type { ConsumedRecord } from '@tidings/kafka';
import { TidingsStack, TopicReader, waitFor } from '@tidings/testing';

type Webhook = { endpointId: string; status: string; disabledReason: string | null };

/**
 * The pipeline's disableEndpoint commands, produced to the real broker as the publisher
 * produces them, carried out by the subscriptions service: the endpoint is disabled by the
 * system actor, and the webhookDisabled notices go out as for a disable by hand.
 */
describe('endpoint commands', () => {
  let stack: TidingsStack;
  let kafka: Kafka;
  let producer: Producer;
  let admin: Admin;
  let db: Client;
  let topics: TopicNames;
  let noticesReader: TopicReader;
  const notices: WebhookNoticeRecord[] = [];
  let key: string;
  let otherKey: string;
  const tailnet = 'commands.example.com';
  const otherTailnet = 'other-commands.example.com';

  before(async () => {
    stack = await TidingsStack.create('commands', { EGRESS_ALLOW_CIDRS: '' });
    await stack.start('subscriptions');
    key = await stack.apiKey(tailnet, 'ops@commands.example.com');
    otherKey = await stack.apiKey(otherTailnet, 'ops@other-commands.example.com');
    topics = resolveTopicNames({ domainEventsTopic: stack.env.DOMAIN_EVENTS_TOPIC!, prefix: stack.env.KAFKA_TOPIC_PREFIX!, retryDelaysMs: [] });
    kafka = new Kafka({ clientId: 'commands-test', brokers: stack.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    admin = kafka.admin();
    await admin.connect();
    db = new Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
    noticesReader = await TopicReader.open(kafka, topics.webhookNotices, (r) => notices.push(webhookNoticeRecordSchema.parse(JSON.parse(r.value!.toString('utf8')))));
  });

  after(async () => {
    await noticesReader?.stop();
    await db?.end();
    await admin?.disconnect();
    await producer?.disconnect();
    await stack?.stop();
  });

  const create = async (subscriptions: string[], k = key, t = tailnet) => {
    const res = await stack.api('POST', `/api/v2/tailnet/${t}/webhooks`, k, { endpointUrl: 'https://hooks.example.com/commands', subscriptions });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body as Webhook).endpointId;
  };
  const webhook = async (id: string, k = key) => {
    const res = await stack.api('GET', `/api/v2/webhooks/${id}`, k);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as Webhook;
  };

  const command = (endpointId: string, reason: string, t = tailnet): EndpointCommandRecord => ({
    schemaVersion: 1,
    type: 'disableEndpoint',
    endpointId,
    tailnet: t,
    reason,
    commandId: randomUUID(),
    issuedAt: new Date().toISOString(),
  });

  /** Produces, then waits until the service's group has committed past every command. */
  async function send(...messages: { key: string; value: string }[]): Promise<void> {
    await producer.send({ topic: topics.endpointCommands, messages });
    const groupId = `${stack.env.KAFKA_TOPIC_PREFIX}${CONSUMERS.subscriptionsCommands.group}`;
    await waitFor(`${groupId} to commit past every command`, async () => {
      const ends = await admin.fetchTopicOffsets(topics.endpointCommands);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topics.endpointCommands] });
      return ends.every((end) => BigInt(end.high) === BigInt(end.low) || BigInt(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1') >= BigInt(end.high));
    }, 60_000, 200);
  }
  const record = (c: EndpointCommandRecord) => ({ key: c.endpointId, value: JSON.stringify(c) });

  /** webhookDisabled notices about `subject`, once the outbox is drained and the topic read. */
  async function disabledNotices(subject: string): Promise<WebhookNoticeRecord[]> {
    await waitFor('the outbox to drain', async () => Number((await db.query('SELECT count(*) FROM outbox WHERE published_at IS NULL')).rows[0].count) === 0);
    await noticesReader.sync();
    return notices.filter((n) => n.event.type === 'webhookDisabled' && n.event.data.endpointId === subject);
  }

  async function disabledEvents(endpointId: string): Promise<{ actor: string; reason: string }[]> {
    const { rows } = await db.query<{ actor: string; reason: string }>("SELECT actor, event->>'reason' AS reason FROM endpoint_events WHERE endpoint_id = $1 AND type = 'endpointDisabled' ORDER BY version", [endpointId]);
    return rows;
  }

  const logLines = () => stack.services.get('subscriptions')!.logLines<{ reason?: string; endpointId?: string; offset?: string }>();

  describe('disableEndpoint', () => {
    let target: string;
    let watcher: string;
    let categoryWatcher: string;
    let bystander: string;
    let foreignWatcher: string;
    const reason = 'retry schedule exhausted: 24 attempts over 24 h, last HTTP 500';

    before(async () => {
      target = await create(['nodeCreated']);
      watcher = await create(['webhookDisabled']);
      categoryWatcher = await create(['categoryWebhookManagement']);
      bystander = await create(['nodeCreated', 'webhookUpdated']);
      foreignWatcher = await create(['webhookDisabled'], otherKey, otherTailnet);
    });

    it('disables the endpoint as the system actor, with the command\'s reason', async () => {
      await send(record(command(target, reason)));
      const w = await webhook(target);
      assert.equal(w.status, 'disabled');
      assert.equal(w.disabledReason, reason);
      assert.deepEqual(await disabledEvents(target), [{ actor: 'tidings', reason }]);
    });

    it('tells the endpoint and every other endpoint of the tailnet subscribed to webhookDisabled, and no one else', async () => {
      const sent = await disabledNotices(target);
      assert.deepEqual(sent.map((n) => n.target.endpointId).sort(), [target, watcher, categoryWatcher].sort());
      assert.ok(!sent.some((n) => [bystander, foreignWatcher].includes(n.target.endpointId)));
      for (const n of sent) {
        assert.equal(n.event.tailnet, tailnet);
        assert.equal(n.event.message, `Webhook ${target} was disabled by tidings`);
        assert.deepEqual(n.event.data, { endpointId: target, actor: 'tidings', reason });
      }
      assert.equal(new Set(sent.map((n) => n.event.id)).size, 1, 'one event, sent to each');
    });

    it('changes nothing and tells no one again when the endpoint is already disabled', async () => {
      await send(record(command(target, 'the endpoint answered 410 Gone')));
      const w = await webhook(target);
      assert.equal(w.status, 'disabled');
      assert.equal(w.disabledReason, reason);
      assert.deepEqual(await disabledEvents(target), [{ actor: 'tidings', reason }]);
      assert.equal((await disabledNotices(target)).length, 3);
    });

    it('cannot reach another tailnet\'s endpoint', async () => {
      await send(record(command(foreignWatcher, 'not yours')), record(command(bystander, 'wrong tailnet', otherTailnet)));
      assert.equal((await webhook(foreignWatcher, otherKey)).status, 'enabled');
      assert.equal((await webhook(bystander)).status, 'enabled');
      assert.deepEqual(await disabledEvents(foreignWatcher), []);
      assert.deepEqual(await disabledEvents(bystander), []);
      assert.deepEqual(await disabledNotices(foreignWatcher), []);
    });

    it('skips commands for unknown and deleted endpoints, with a log line, and applies the next', async () => {
      const deleted = await create(['nodeCreated']);
      assert.equal((await stack.api('DELETE', `/api/v2/webhooks/${deleted}`, key)).status, 200);
      const unknown = randomUUID();
      const next = await create(['nodeCreated']);
      await send(record(command(unknown, 'gone')), record(command(deleted, 'gone')), record(command(next, 'the endpoint answered 410 Gone')));
      assert.equal((await webhook(next)).status, 'disabled');
      assert.deepEqual(await disabledEvents(deleted), []);
      const skipped = logLines().filter((l) => l.msg.startsWith('skipping disableEndpoint command')).map((l) => l.endpointId);
      assert.ok(skipped.includes(unknown) && skipped.includes(deleted), JSON.stringify(skipped));
    });
  });

  describe('unreadable commands', () => {
    it('are logged with the reason and skipped, never retried; the command behind them applies', async () => {
      const id = await create(['nodeCreated']);
      const valid = command(id, 'the endpoint answered 410 Gone');
      await send(
        { key: id, value: 'not json' },
        { key: id, value: JSON.stringify({ type: 'disableEndpoint', endpointId: id }) },
        { key: id, value: JSON.stringify({ ...valid, type: 'deleteEndpoint' }) },
        { key: id, value: JSON.stringify({ ...valid, reason: '' }) },
        record(valid),
      );
      const w = await webhook(id);
      assert.equal(w.status, 'disabled');
      assert.equal(w.disabledReason, 'the endpoint answered 410 Gone');
      assert.deepEqual(await disabledEvents(id), [{ actor: 'tidings', reason: 'the endpoint answered 410 Gone' }]);

      const reasons = logLines().filter((l) => l.msg === 'skipping unreadable endpoint command').map((l) => l.reason ?? '');
      assert.equal(reasons.length, 4, JSON.stringify(reasons));
      assert.match(reasons[0]!, /not JSON/);
      assert.match(reasons[1]!, /tailnet/);
      assert.match(reasons[1]!, /commandId/);
      assert.match(reasons[2]!, /type/);
      assert.match(reasons[3]!, /reason/);
      assert.ok(!logLines().some((l) => l.msg === 'record handler failed; it will be retried'), 'no command was retried');

      const reader = await TopicReader.open(kafka, topics.internalDeadLetters);
      const mine = await reader.waitFor('four internal dead letters', (letters) => {
        const m = letters.filter((r) => r.key === id);
        return m.length >= 4 ? m : undefined;
      });
      await reader.stop();
      const header = (r: ConsumedRecord, name: string) => r.headers[name]?.toString();
      assert.deepEqual(mine.map((r) => header(r, KAFKA_HEADERS.dlqReasonCode)), ['not_json', 'invalid', 'invalid', 'invalid']);
      assert.deepEqual(mine.map((r) => header(r, KAFKA_HEADERS.dlqReason)), reasons);
      assert.ok(mine.every((r) => header(r, KAFKA_HEADERS.dlqSourceTopic) === topics.endpointCommands));
      assert.equal(mine[0]!.value?.toString(), 'not json', 'the record as received');
      const metrics = await (await fetch(stack.metricsUrl('subscriptions'))).text();
      assert.match(metrics, /^tidings_subscriptions_unreadable_records_total\{topic="[^"]*endpoint-commands[^"]*",reason="invalid"\} 3$/m);
    });
  });
});
