import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { TidingsStack, verifyWebhook, waitFor } from '@tidings/testing';
import { atRest } from './at-rest-scan';

/**
 * What Tidings writes to disk never holds a secret in clear: after keys are minted, webhooks
 * created and rotated, and events delivered (both signatures checked, so the secrets were in
 * use), none of the signing secrets, their `whsec_` forms or the API key appears in the
 * services' logs, a pg_dump of the database, or the broker's log segments of the stack's
 * topics. Each haystack must contain the webhook's URL, which is stored in clear: a scan that
 * cannot see plain text (a compressed segment, say) fails instead of passing.
 */
describe('secrets at rest', () => {
  const tailnet = 'secrets.example.com';
  let stack: TidingsStack;

  before(async () => {
    stack = await TidingsStack.create('secrets', { LOG_LEVEL: 'debug' });
    await stack.start();
  });
  after(async () => stack?.stop());

  it('are in no log, database dump or Kafka log segment', async () => {
    const key = await stack.apiKey(tailnet);
    const path = `/secrets-${randomUUID()}`;
    const endpointUrl = `${stack.receiverUrl.replace(/\/webhook$/, '')}${path}`;
    const created = await stack.api('POST', `/api/v2/tailnet/${tailnet}/webhooks`, key, { endpointUrl, subscriptions: ['categoryTailnetManagement'] });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const first = created.body as { endpointId: string; secret: string; standardWebhooksSecret: string };
    const rotated = await stack.api('POST', `/api/v2/webhooks/${first.endpointId}/rotate`, key, { gracePeriodSeconds: 600 });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const second = rotated.body as typeof first;

    const kafka = new Kafka({ clientId: 'secrets', brokers: stack.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const eventId = randomUUID();
    const data = { nodeID: 'n1', deviceName: 'laptop', managedBy: 'ops@secrets', actor: 'ops@secrets' };
    await producer.send({ topic: stack.env.DOMAIN_EVENTS_TOPIC!, messages: [{ key: tailnet, value: JSON.stringify({ specversion: '1.0', id: eventId, source: '//control.secrets', type: 'nodeCreated', time: new Date().toISOString(), tailnet, data }) }] });
    await producer.disconnect();
    const delivered = await waitFor('the event delivered', () => stack.receiver.received.find((w) => w.path === path && w.body.includes(eventId)), 60_000);
    const verified = verifyWebhook(delivered, second.secret, second.standardWebhooksSecret);
    assert.ok(verified.tailscaleSignatureValid && verified.standardSignatureValid, 'signed with the rotated secret');

    const needles = new Map<string, string>();
    for (const [label, w] of [['first', first], ['rotated', second]] as const) {
      needles.set(`${label} signing secret`, w.secret);
      needles.set(`${label} whsec_ secret`, w.standardWebhooksSecret);
      needles.set(`${label} secret's key bytes (base64)`, w.standardWebhooksSecret.slice('whsec_'.length));
      needles.set(`${label} secret's random part`, w.secret.slice('tskey-webhook-'.length));
    }
    needles.set('API key', key);
    // `tskey-api-<id>-<random>`: the random part is base64url, so it may hold `-` itself.
    const secretPart = /^tskey-api-k[0-9a-f]{16}-(.{43})$/.exec(key)?.[1];
    assert.ok(secretPart, `an API key of the documented shape: ${key.slice(0, 30)}…`);
    needles.set("API key's secret part", secretPart);

    const { pgDump: dump, logs, kafka: kafkaText } = await atRest(stack);
    const haystacks: [string, string][] = [['pg_dump', dump], ...logs, ['Kafka log segments', kafkaText]];
    for (const [where, text] of [['pg_dump', dump], ['Kafka log segments', kafkaText]]) assert.ok(text.includes(path), `the scan of ${where} cannot see the endpoint URL stored in clear`);
    const found = haystacks.flatMap(([where, text]) => [...needles].filter(([, needle]) => text.includes(needle)).map(([what]) => `${what} in ${where}`));
    assert.deepEqual(found, []);
  });
});
