import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AssignerProtocol, Kafka, logLevel, type Producer } from 'kafkajs';
import { EVENT_CATEGORIES, resolveTopicNames, type EndpointConfigEvent, type TopicNames, type WebhookEventRecord } from '@tidings/contracts';
import type { ConsumedRecord } from '@tidings/kafka';
import { freePort, startService, TidingsStack, TopicReader, waitFor } from '@tidings/testing';

const NODE = { nodeID: 'n1', deviceName: 'laptop', managedBy: 'a@x', actor: 'a@x' };
const USER = { user: 'u@x', userID: 'u1', actor: 'a@x' };
const DATA: Record<string, Record<string, unknown>> = {
  policyUpdate: { actor: 'a@x' },
  userRoleUpdated: { ...USER, oldRoles: ['member'], newRoles: ['admin'] },
  nodeKeyExpiringInOneDay: { ...NODE, expiration: '2026-11-23T10:00:00Z' },
};
const dataFor = (type: string) => DATA[type] ?? (type.startsWith('user') ? USER : NODE);
const DOMAIN_TYPES = [...EVENT_CATEGORIES.categoryTailnetManagement, ...EVENT_CATEGORIES.categoryDeviceMisconfigurations];

/** The trigger as a process against the real broker, fed config events and domain events. */
describe('trigger', () => {
  let stack: TidingsStack;
  let producer: Producer;
  let kafka: Kafka;
  let topics: TopicNames;
  let payloads: ConsumedRecord[];
  let deadLetters: ConsumedRecord[];
  let readers: TopicReader[];
  const versions = new Map<string, number>();

  before(async () => {
    stack = await TidingsStack.create('trigger', { TRIGGER_INSTANCE_ID: 'trigger-test-0' });
    topics = resolveTopicNames({ domainEventsTopic: stack.env.DOMAIN_EVENTS_TOPIC!, prefix: stack.env.KAFKA_TOPIC_PREFIX!, retryDelaysMs: [] });
    await stack.start('trigger');
    kafka = new Kafka({ clientId: 'trigger-test', brokers: stack.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    payloads = [];
    deadLetters = [];
    readers = await Promise.all([TopicReader.open(kafka, topics.webhookEvents, (r) => payloads.push(r)), TopicReader.open(kafka, topics.domainEventsDlq, (r) => deadLetters.push(r))]);
  });

  after(async () => {
    await Promise.all(readers?.map((r) => r.stop()) ?? []);
    await producer?.disconnect();
    await stack?.stop();
  });

  /** Appends a config event as the subscriptions service would. */
  async function configure(endpointId: string, tailnet: string, change: { type: 'endpointCreated' | 'endpointSubscriptionsChanged'; subscriptions: string[] } | { type: 'endpointDisabled' | 'endpointDeleted' }): Promise<void> {
    const version = (versions.get(endpointId) ?? 0) + 1;
    versions.set(endpointId, version);
    const base = { schemaVersion: 1 as const, eventId: randomUUID(), endpointId, tailnet, version, occurredAt: new Date().toISOString(), actor: 'test' };
    const event: EndpointConfigEvent =
      change.type === 'endpointCreated'
        ? { ...base, type: change.type, endpointUrl: `https://hooks.example.com/${endpointId}`, providerType: '', subscriptions: change.subscriptions, secret: { keyId: 'k', iv: 'aQ==', ciphertext: 'aQ==', tag: 'aQ==' } }
        : change.type === 'endpointSubscriptionsChanged'
          ? { ...base, type: change.type, subscriptions: change.subscriptions }
          : change.type === 'endpointDisabled'
            ? { ...base, type: change.type, reason: 'test' }
            : { ...base, type: change.type };
    await producer.send({ topic: topics.endpointConfig, messages: [{ key: endpointId, value: JSON.stringify(event) }] });
  }

  const structured = (tailnet: string, type: string, data: unknown, id = randomUUID(), source = '//control.test') => ({
    key: tailnet,
    value: JSON.stringify({ specversion: '1.0', id, source, type, time: new Date().toISOString(), tailnet, data }),
  });
  const binary = (tailnet: string, type: string, data: unknown, id = randomUUID()) => ({
    key: tailnet,
    value: JSON.stringify(data),
    headers: { ce_specversion: '1.0', ce_id: id, ce_source: '//control.test', ce_type: type, ce_time: new Date().toISOString(), ce_tailnet: tailnet },
  });
  const send = (...messages: { key: string; value: string | null; headers?: Record<string, string> }[]) => producer.send({ topic: topics.domainEvents, messages });

  const payloadsFor = (eventId: string) => payloads.map((r) => JSON.parse(r.value!.toString()) as WebhookEventRecord).filter((p) => p.event.id === eventId);
  const header = (r: ConsumedRecord, name: string) => r.headers[name]?.toString();

  it('turns every event type, in both CloudEvents modes, into a payload per subscribed endpoint', async () => {
    const tailnet = `all-${randomUUID()}.example.com`;
    const endpoint = randomUUID();
    await configure(endpoint, tailnet, { type: 'endpointCreated', subscriptions: ['categoryTailnetManagement', 'categoryDeviceMisconfigurations'] });
    const sent: { id: string; type: string }[] = [];
    for (const type of DOMAIN_TYPES) {
      const [a, b] = [randomUUID(), randomUUID()];
      await send(structured(tailnet, type, dataFor(type), a), binary(tailnet, type, dataFor(type), b));
      sent.push({ id: a, type }, { id: b, type });
    }
    await waitFor('a payload for every event', () => sent.every((s) => payloadsFor(s.id).length === 1), 30_000);
    for (const s of sent) {
      const [p] = payloadsFor(s.id);
      assert.equal(p!.endpointId, endpoint);
      assert.equal(p!.event.type, s.type);
      assert.ok(p!.event.message.length > 0);
      for (const v of Object.values(p!.event.data)) assert.equal(typeof v, 'string');
    }
    const keyed = payloads.find((r) => r.value!.toString().includes(sent[0]!.id))!;
    assert.equal(keyed.key, endpoint, 'payloads are keyed by endpoint id');
  });

  it('dead-letters each kind of bad event with its reason, and the partition keeps flowing', async () => {
    const tailnet = `dlq-${randomUUID()}.example.com`;
    const endpoint = randomUUID();
    await configure(endpoint, tailnet, { type: 'endpointCreated', subscriptions: ['nodeCreated'] });
    const bad = [
      { key: tailnet, value: '{"specversion": "1.0", ' },
      structured(tailnet, 'nodeCreated', { nodeID: 'n1' }),
      structured(tailnet, 'nodeExploded', NODE),
      { key: tailnet, value: JSON.stringify({ specversion: '1.0', id: 'x', source: 's', type: 'nodeCreated', time: 'soon', tailnet, data: NODE }) },
      { ...binary(tailnet, 'nodeCreated', NODE), value: 'not json' },
    ];
    const good = randomUUID();
    await send(...bad, structured(tailnet, 'nodeCreated', NODE, good));
    await waitFor('the good event after the bad ones', () => payloadsFor(good).length === 1, 30_000);
    const mine = await waitFor('five dead letters', () => {
      const found = deadLetters.filter((r) => r.key === tailnet);
      return found.length === 5 ? found : undefined;
    }, 30_000);
    assert.deepEqual(mine.map((r) => header(r, 'tidings-dlq-reason-code')), ['not-json', 'invalid-data', 'unknown-type', 'invalid-envelope', 'not-json']);
    for (const [i, r] of mine.entries()) {
      assert.equal(r.value?.toString(), bad[i]!.value, 'dead-lettered unchanged');
      assert.ok(header(r, 'tidings-dlq-reason')!.length > 0);
      assert.equal(header(r, 'tidings-dlq-source-topic'), topics.domainEvents);
    }
    assert.match(header(mine[1]!, 'tidings-dlq-reason')!, /deviceName/);
  });

  it('routes by type and by category within each tailnet, and follows subscription changes', async () => {
    const [t1, t2] = [`r1-${randomUUID()}.example.com`, `r2-${randomUUID()}.example.com`];
    const [byType, byCategory, otherTailnet, unrelated] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await configure(byType, t1, { type: 'endpointCreated', subscriptions: ['nodeNeedsApproval'] });
    await configure(byCategory, t1, { type: 'endpointCreated', subscriptions: ['categoryTailnetManagement'] });
    await configure(otherTailnet, t2, { type: 'endpointCreated', subscriptions: ['categoryTailnetManagement'] });
    await configure(unrelated, t1, { type: 'endpointCreated', subscriptions: ['categoryDeviceMisconfigurations'] });

    // A sentinel endpoint per tailnet: once its event (sent after the probe, same partition)
    // is routed, the probe's routing is complete, including when it went nowhere.
    const sentinels = new Map([[t1, randomUUID()], [t2, randomUUID()]]);
    for (const [tailnet, sentinel] of sentinels) await configure(sentinel, tailnet, { type: 'endpointCreated', subscriptions: ['userDeleted'] });
    const recipients = async (tailnet: string, type: string) => {
      const [id, after] = [randomUUID(), randomUUID()];
      await send(structured(tailnet, type, dataFor(type), id), structured(tailnet, 'userDeleted', USER, after));
      await waitFor(`routing of ${type}`, () => payloadsFor(after).some((p) => p.endpointId === sentinels.get(tailnet)), 30_000);
      return payloadsFor(id).map((p) => p.endpointId).sort();
    };
    assert.deepEqual(await recipients(t1, 'nodeNeedsApproval'), [byType, byCategory].sort());
    assert.deepEqual(await recipients(t1, 'userCreated'), [byCategory]);
    assert.deepEqual(await recipients(t2, 'nodeNeedsApproval'), [otherTailnet]);
    assert.deepEqual(await recipients(t1, 'subnetIPForwardingNotEnabled'), [unrelated]);

    await configure(byType, t1, { type: 'endpointSubscriptionsChanged', subscriptions: ['userCreated'] });
    await configure(byCategory, t1, { type: 'endpointDisabled' });
    await configure(unrelated, t1, { type: 'endpointDeleted' });
    assert.deepEqual(await recipients(t1, 'userCreated'), [byType], 'the change counts for the very next event');
    assert.deepEqual(await recipients(t1, 'nodeNeedsApproval'), []);
    assert.deepEqual(await recipients(t1, 'subnetIPForwardingNotEnabled'), []);
  });

  it('skips an unreadable config event, counting it, and its endpoint view keeps following the log', async () => {
    const tailnet = `view-${randomUUID()}.example.com`;
    const endpoint = randomUUID();
    await producer.send({ topic: topics.endpointConfig, messages: [{ key: endpoint, value: 'not json' }, { key: endpoint, value: JSON.stringify({ schemaVersion: 1, type: 'endpointCreated' }) }] });
    await configure(endpoint, tailnet, { type: 'endpointCreated', subscriptions: ['nodeCreated'] });
    const id = randomUUID();
    await send(structured(tailnet, 'nodeCreated', NODE, id));
    await waitFor('the event routed by the config event after the unreadable ones', () => payloadsFor(id).length === 1, 30_000);
    const metrics = await (await fetch(stack.metricsUrl('trigger'))).text();
    assert.match(metrics, /^tidings_endpoint_view_unreadable_events_total\{reason="not_json"\} 1$/m);
    assert.match(metrics, /^tidings_endpoint_view_unreadable_events_total\{reason="invalid"\} 1$/m);
  });

  it('suppresses duplicates (same source and id), also across a restart', async () => {
    const tailnet = `dup-${randomUUID()}.example.com`;
    const endpoint = randomUUID();
    await configure(endpoint, tailnet, { type: 'endpointCreated', subscriptions: ['nodeCreated'] });
    const id = randomUUID();
    await send(structured(tailnet, 'nodeCreated', NODE, id), structured(tailnet, 'nodeCreated', NODE, id));
    await send(structured(tailnet, 'nodeCreated', NODE, id, '//another.source'));
    await waitFor('two payloads (two sources)', () => payloadsFor(id).length === 2, 30_000);

    await stack.services.get('trigger')!.stop();
    await stack.start('trigger');
    const marker = randomUUID();
    await send(structured(tailnet, 'nodeCreated', NODE, id), structured(tailnet, 'nodeCreated', NODE, marker));
    await waitFor('the marker after the replayed duplicate', () => payloadsFor(marker).length === 1, 30_000);
    await Promise.all(readers.map((r) => r.sync()));
    assert.equal(payloadsFor(id).length, 2, 'no payload for the duplicate sent after the restart');
  });

  it('suppresses a duplicate on another partition, processed in parallel with the first', async () => {
    const tailnet = `dup-parallel-${randomUUID()}.example.com`;
    const endpoint = randomUUID();
    await configure(endpoint, tailnet, { type: 'endpointCreated', subscriptions: ['nodeCreated'] });
    // The same event under six message keys: one on each partition, all fetched at once.
    const ids = Array.from({ length: 5 }, () => randomUUID());
    const copies = ids.flatMap((id) => Array.from({ length: 6 }, (_, p) => ({ ...structured(tailnet, 'nodeCreated', NODE, id), partition: p })));
    await producer.send({ topic: topics.domainEvents, messages: copies });
    // A marker behind the copies on every partition: once all six are routed, so are the copies.
    const markers = Array.from({ length: 6 }, (_, p) => ({ id: randomUUID(), partition: p }));
    await producer.send({ topic: topics.domainEvents, messages: markers.map(({ id, partition }) => ({ ...structured(tailnet, 'nodeCreated', NODE, id), partition })) });
    await waitFor('every partition past the copies', () => markers.every((m) => payloadsFor(m.id).length === 1), 30_000);
    assert.deepEqual(ids.map((id) => payloadsFor(id).length), [1, 1, 1, 1, 1], 'one payload per event, whichever partition won');
  });

  it('retries a batch whose dead-letter write fails, losing nothing and committing nothing past it', async () => {
    const tailnet = `dlqfail-${randomUUID()}.example.com`;
    const endpoint = randomUUID();
    await configure(endpoint, tailnet, { type: 'endpointCreated', subscriptions: ['nodeCreated'] });
    const [before, afterBad] = [randomUUID(), randomUUID()];
    const admin = kafka.admin();
    await admin.connect();
    // Disconnected whatever happens: a connected admin keeps this file's process alive.
    try {
      await admin.deleteTopics({ topics: [topics.domainEventsDlq] });
      // deleteTopics answers before every broker stops serving the topic; under load a write
      // could still land in it, and this test would see the batch committed.
      await waitFor('the DLQ to be gone', async () => !(await admin.listTopics()).includes(topics.domainEventsDlq), 30_000, 100);
      const trigger = stack.services.get('trigger')!;
      const logged = trigger.logLines().length;
      await send(structured(tailnet, 'nodeCreated', NODE, before), { key: tailnet, value: 'poison' }, structured(tailnet, 'nodeCreated', NODE, afterBad));
      // Awaited markers, not a pause: the batch is in its transaction (the poison record was
      // routed to the DLQ), and after that a write to the DLQ failed for want of the topic.
      await waitFor('the batch in its transaction, failing to reach the DLQ', () => {
        const lines = trigger.logLines<{ error?: string }>().slice(logged);
        const routed = lines.findIndex((l) => l.msg === 'dead-lettering unusable domain event');
        return routed >= 0 && lines.slice(routed).some((l) => /does not host this topic-partition|unknown topic/i.test(l.error ?? ''));
      }, 30_000);
      // Everything committed to the payload topic so far has been read (the DLQ reader cannot sync: its topic is gone).
      await readers[0]!.sync();
      assert.equal(payloadsFor(before).length + payloadsFor(afterBad).length, 0, 'nothing committed while the DLQ cannot be written');
      await admin.createTopics({ topics: [{ topic: topics.domainEventsDlq, numPartitions: 1 }] });
      // Not kafkajs' waitForLeaders: it gives up when a new topic's metadata still answers
      // UNKNOWN_TOPIC_OR_PARTITION for a moment (a CI run failed so).
      await waitFor('the DLQ to have a leader', async () => {
        const metadata = await admin.fetchTopicMetadata({ topics: [topics.domainEventsDlq] }).catch(() => undefined);
        const partitions = metadata?.topics[0]?.partitions ?? [];
        return partitions.length > 0 && partitions.every((p) => p.leader >= 0);
      }, 30_000, 100);
    } finally {
      await admin.disconnect();
    }
    await waitFor('the batch to go through once the DLQ exists', () => payloadsFor(before).length === 1 && payloadsFor(afterBad).length === 1, 60_000);
    await waitFor('the poison record in the DLQ', () => deadLetters.some((r) => r.key === tailnet && r.value?.toString() === 'poison'), 30_000);
  });

  it('shares the work between two instances, each payload once', async () => {
    const tailnet = `pair-${randomUUID()}.example.com`;
    const endpoint = randomUUID();
    await configure(endpoint, tailnet, { type: 'endpointCreated', subscriptions: ['categoryTailnetManagement'] });
    const port = await freePort();
    const second = await startService('trigger', { ...stack.env, TRIGGER_PORT: String(port), TRIGGER_INSTANCE_ID: 'trigger-test-1' }, { healthUrl: `http://127.0.0.1:${port}/health`, logDir: join(stack.logDir, 'second') });
    try {
      // Many tailnets as keys, so the six partitions are spread over both members.
      const ids = Array.from({ length: 600 }, () => randomUUID());
      await send(...ids.map((id, i) => ({ ...structured(tailnet, 'nodeCreated', NODE, id), key: `${tailnet}#${i % 24}` })));
      await waitFor('every payload', () => ids.every((id) => payloadsFor(id).length >= 1), 60_000);
      await Promise.all(readers.map((r) => r.sync()));
      assert.ok(ids.every((id) => payloadsFor(id).length === 1), 'exactly one payload per event');
      const admin = kafka.admin();
      await admin.connect();
      const { groups } = await admin.describeGroups([`${stack.env.KAFKA_TOPIC_PREFIX}tidings.trigger.v1`]);
      await admin.disconnect();
      const assigned = groups[0]!.members.map((m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[topics.domainEvents] ?? []);
      assert.equal(assigned.length, 2, 'two members in the group');
      assert.ok(assigned.every((partitions) => partitions.length > 0), `both members own partitions: ${JSON.stringify(assigned)}`);
    } finally {
      await second.stop();
    }
  });

  it('neither loses nor duplicates payloads when killed mid-stream', async () => {
    const tailnet = `kill-${randomUUID()}.example.com`;
    const endpoints = [randomUUID(), randomUUID()];
    for (const e of endpoints) await configure(e, tailnet, { type: 'endpointCreated', subscriptions: ['categoryTailnetManagement'] });
    const ids = Array.from({ length: 3_000 }, () => randomUUID());
    const startCount = payloads.length;
    const sendAll = async (slice: typeof ids) => {
      for (let i = 0; i < slice.length; i += 500) await send(...slice.slice(i, i + 500).map((id) => structured(tailnet, 'nodeCreated', NODE, id)));
    };
    // Mid-stream by construction, not by racing a fast trigger: it is frozen (SIGSTOP) while at
    // work on the first half, wherever it is (a transaction perhaps half done), the second half
    // is sent to a frozen process, and then it is killed.
    await sendAll(ids.slice(0, ids.length / 2));
    await waitFor('the trigger at work', () => payloads.length - startCount > 300, 30_000, 5);
    const trigger = stack.services.get('trigger')!;
    trigger.child.kill('SIGSTOP');
    await sendAll(ids.slice(ids.length / 2));
    await trigger.kill();
    const expected = ids.length * endpoints.length;
    const atKill = payloads.length - startCount;
    assert.ok(atKill < expected, `killed mid-stream (${atKill} of ${expected} payloads out)`);
    await stack.start('trigger');
    await waitFor('every payload', () => payloads.length - startCount >= expected, 120_000);
    await Promise.all(readers.map((r) => r.sync()));
    const counts = new Map<string, number>();
    for (const r of payloads.slice(startCount)) {
      const p = JSON.parse(r.value!.toString()) as WebhookEventRecord;
      const k = `${p.event.id}/${p.endpointId}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    assert.equal(counts.size, expected, 'every (event, endpoint) pair has a payload');
    assert.deepEqual([...new Set(counts.values())], [1], 'and exactly one');
  });
});
