import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { parseRetrySchedule, relayDataKeyLifetimeMs, relayDataKeySchema, relayRequestRecordSchema, resolveTopicNames, type DeliveryView, type RelayBucketView, type RelayInputView } from '@tidings/contracts';
import { TidingsStack, TopicReader, waitFor } from '@tidings/testing';

const SCHEDULE = '1s*2';

/**
 * An ephemeral bucket's requests wait in shared topics (lanes, retries, dead letters) that keep
 * a week; what deletes them is their data key, which lives only as long as the retry schedule
 * needs it. On the real stack: sealed under an announced key, delivered through it while it
 * lives, and unreadable once its lifetime is over, whatever is replayed.
 */
describe('ephemeral relay requests and their data keys', () => {
  let stack: TidingsStack;
  let key: string;
  let kafka: Kafka;
  let requests: TopicReader;
  let dataKeys: TopicReader;
  let dataKeysTopic: string;
  const lifetimeMs = relayDataKeyLifetimeMs((parseRetrySchedule(SCHEDULE) as { ok: true; schedule: never }).schedule);
  const base = () => stack.receiverUrl.replace(/\/webhook$/, '');

  before(async () => {
    // Retries a second apart, two of them: keys live 10 s + 2 s + 10 s.
    stack = await TidingsStack.create('relay-keys', { RETRY_SCHEDULE: SCHEDULE });
    await stack.start('egress', 'subscriptions', 'trigger', 'publisher', 'relay');
    key = await stack.apiKey('keys.example.com', 'ops@keys.example.com');
    kafka = new Kafka({ clientId: 'relay-keys', brokers: stack.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    const topics = resolveTopicNames({ domainEventsTopic: stack.env.DOMAIN_EVENTS_TOPIC!, prefix: stack.env.KAFKA_TOPIC_PREFIX!, retryDelaysMs: [] });
    dataKeysTopic = topics.relayDataKeys;
    requests = await TopicReader.open(kafka, topics.relayRequests);
    dataKeys = await TopicReader.open(kafka, topics.relayDataKeys);
  });
  after(async () => {
    await requests?.stop();
    await dataKeys?.stop();
    await stack?.stop();
  });

  it('seals under a data key announced first, delivers through it, and once the key is past its lifetime a replay cannot open the request', async () => {
    assert.equal(lifetimeMs, 22_000);
    const bucket = (await stack.api('POST', '/api/v2/tailnet/-/relay-buckets', key, { name: 'keys', ephemeral: true, answer: { status: 202, body: '', contentType: 'text/plain' } })).body as RelayBucketView;
    const made = await stack.api('POST', `/api/v2/relay-buckets/${bucket.bucketId}/inputs`, key, { outputs: [{ url: `${base()}/eph-ok` }, { url: `${base()}/eph-down` }] });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const input = made.body as RelayInputView;
    const down = input.outputs[1]!;
    const downPath = `/api/v2/relay-buckets/${input.bucketId}/inputs/${input.inputId}/outputs/${down.outputId}`;
    stack.receiver.answers.set('/eph-down', { status: 503 });
    await waitFor('the relay to know the input', async () => (await fetch(`${stack.relayUrl}${input.path}`)).status === 401, 15_000);

    const res = await fetch(`${stack.relayUrl}${input.path}`, { method: 'POST', body: 'ephemeral-body', headers: { 'content-type': 'text/plain' } });
    assert.equal(res.status, 202);
    const requestId = res.headers.get('x-tidings-relay-id')!;

    // Sealed under a data key whose announcement, itself sealed, is in its own topic.
    const record = await requests.waitFor('the accepted request', (rs) => rs.map((r) => relayRequestRecordSchema.parse(JSON.parse(r.value!.toString()))).find((r) => r.requestId === requestId));
    assert.match(record.request.keyId, /^ephemeral:[0-9a-f-]{36}$/);
    const announced = await dataKeys.waitFor('its data key', (rs) => rs.map((r) => relayDataKeySchema.parse(JSON.parse(r.value!.toString()))).find((k) => k.keyId === record.request.keyId));
    assert.ok(!JSON.stringify(announced.key).includes('ephemeral-body'));
    const admin = kafka.admin();
    await admin.connect();
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: dataKeysTopic, configNames: ['retention.ms', 'segment.ms'] }] });
    await admin.disconnect();
    const configOf = (name: string) => described.resources[0]!.configEntries.find((e) => e.configName === name)?.configValue;
    assert.deepEqual([configOf('retention.ms'), configOf('segment.ms')], ['22000', '10000'], 'the topic forgets a key at the end of its lifetime');

    // While the key lives, the request is opened and delivered.
    const delivered = await waitFor('delivered to the healthy output', () => stack.receiver.received.find((w) => w.path === '/eph-ok'), 30_000);
    assert.equal(delivered.body, 'ephemeral-body');
    const outputStatus = async () => ((await stack.api('GET', `/api/v2/relay-buckets/${input.bucketId}`, key)).body as RelayBucketView).inputs[0]!.outputs[1]!;
    await waitFor('the failing output disabled after its retries', async () => (await outputStatus()).status === 'disabled', 30_000);

    // Past the key's lifetime: redelivering the dead letter cannot open the request.
    const expiresAt = Date.parse(announced.createdAt) + lifetimeMs;
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 500));
    stack.receiver.answers.set('/eph-down', { status: 200 });
    const enabled = await stack.api('POST', `${downPath}/enable`, key, { redeliverDeadLetters: true });
    assert.deepEqual(enabled.body, { status: 'enabled', redelivered: 1 });
    const deliveries = async () => ((await stack.api('GET', `${downPath}/deliveries`, key)).body as { deliveries: DeliveryView[] }).deliveries;
    const unreadable = await waitFor(
      'the redelivery to fail as unreadable',
      async () => (await deliveries()).flatMap((d) => d.attempts).find((a) => a.reason?.includes('which is gone')),
      30_000,
    );
    assert.match(unreadable.reason!, new RegExp(`data key ${record.request.keyId}, which is gone`));
    assert.equal(stack.receiver.received.filter((w) => w.path === '/eph-down' && w.status === 200).length, 0, 'nothing reached the output after the key was gone');
  });
});
