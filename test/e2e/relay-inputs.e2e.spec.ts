import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { relayRequestRecordSchema, resolveTopicNames, type RelayBucketView, type RelayInputView } from '@tidings/contracts';
import { TidingsStack, TopicReader, waitFor } from '@tidings/testing';
import { atRest } from './at-rest-scan';

/**
 * The relay's inputs against the real stack, for what must survive and what must not: a kill -9
 * right after the answer loses nothing, and what a request said (body, header, query) is
 * nowhere at rest in clear: not in PostgreSQL, the services' logs or Kafka's log segments, for
 * an ephemeral bucket as for a normal one.
 */
describe('relay inputs at rest', () => {
  let stack: TidingsStack;
  let key: string;
  let accepted: TopicReader;

  before(async () => {
    stack = await TidingsStack.create('relay-rest', { LOG_LEVEL: 'trace', EGRESS_ALLOW_CIDRS: '' });
    await stack.start('subscriptions', 'relay');
    key = await stack.apiKey('rest.example.com', 'ops@rest.example.com');
    const kafka = new Kafka({ clientId: 'relay-rest', brokers: stack.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    const topics = resolveTopicNames({ domainEventsTopic: stack.env.DOMAIN_EVENTS_TOPIC!, prefix: stack.env.KAFKA_TOPIC_PREFIX!, retryDelaysMs: [] });
    accepted = await TopicReader.open(kafka, topics.relayRequests);
  });
  after(async () => {
    await accepted?.stop();
    await stack?.stop();
  });

  const input = async (name: string, ephemeral: boolean): Promise<RelayInputView> => {
    const bucket = (await stack.api('POST', '/api/v2/tailnet/-/relay-buckets', key, { name, ephemeral, answer: { status: 202, body: '', contentType: 'text/plain' } })).body as RelayBucketView;
    const made = (await stack.api('POST', `/api/v2/relay-buckets/${bucket.bucketId}/inputs`, key, { outputs: [{ url: 'https://ci.example.com/hook' }] })).body as RelayInputView;
    await waitFor('the relay to know the input', async () => (await fetch(`${stack.relayUrl}${made.path}`, { method: 'POST' })).status === 202, 15_000);
    return made;
  };
  const stored = (inputId: string) => accepted.records.filter((r) => r.key?.toString() === inputId).map((r) => relayRequestRecordSchema.parse(JSON.parse(r.value!.toString())));

  it('keeps a request answered just before a kill -9, once', async () => {
    const made = await input('crash', false);
    await accepted.sync(); // the probe's requests counted
    const before = stored(made.inputId).length;
    const res = await fetch(`${stack.relayUrl}${made.path}`, { method: 'POST', body: '{"crash":true}', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 202);
    await stack.services.get('relay')!.kill();
    try {
      await accepted.sync();
      const after = stored(made.inputId);
      assert.equal(after.length, before + 1, 'in Kafka once, though the relay died right after answering');
      assert.equal(after.at(-1)!.requestId, res.headers.get('x-tidings-relay-id'));
    } finally {
      await stack.start('relay');
    }
  });

  it("leaves nothing of what an ephemeral or a normal bucket's request said in clear at rest", async () => {
    const markers = { ephemeral: { body: 'eph-body-9b1d', header: 'eph-header-4c2e', query: 'eph-query-77a0' }, normal: { body: 'norm-body-1f8c', header: 'norm-header-a3d9', query: 'norm-query-5e61' } };
    for (const [kind, m] of Object.entries(markers)) {
      const made = await input(`at-rest-${kind}`, kind === 'ephemeral');
      const res = await fetch(`${stack.relayUrl}${made.path}?q=${m.query}`, { method: 'POST', body: JSON.stringify({ secret: m.body }), headers: { 'content-type': 'application/json', 'x-marker': m.header } });
      assert.equal(res.status, 202, kind);
    }
    await accepted.sync();
    const { pgDump, logs, kafka } = await atRest(stack);
    for (const [where, text] of [['pg_dump', pgDump], ['Kafka log segments', kafka]] as const) assert.ok(text.includes('at-rest-ephemeral'), `the scan of ${where} cannot see the bucket name stored in clear`);
    assert.ok(logs.some(([, text]) => text.includes('relay request')), 'the relay logged its requests');
    const haystacks: [string, string][] = [['pg_dump', pgDump], ['Kafka log segments', kafka], ...logs];
    const found = Object.entries(markers).flatMap(([kind, m]) => Object.entries(m).flatMap(([part, needle]) => haystacks.filter(([, text]) => text.includes(needle)).map(([where]) => `${kind} ${part} in ${where}`)));
    assert.deepEqual(found, []);
  });
});
