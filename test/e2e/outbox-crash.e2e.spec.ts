import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { endpointConfigEventSchema, type EndpointConfigEvent } from '@tidings/contracts';
import { applyConfigEvent, type EndpointState } from '@tidings/endpoint-directory';
import { TidingsStack, TopicReader, waitFor } from '@tidings/testing';

/**
 * The transactional outbox under a crash: the subscriptions service is SIGKILLed in the middle
 * of a burst of writes and restarted; then rows already in Kafka are marked unpublished again,
 * as if the crash had come between the Kafka write and the mark. Consumers must end up applying
 * exactly one config event per change in the store, and nothing that is not in the store.
 */
describe('outbox: a crash between commit and publish', () => {
  let stack: TidingsStack;
  let db: Client;
  let key: string;
  const tailnet = 'crash.example.com';

  before(async () => {
    stack = await TidingsStack.create('crash');
    await stack.start('subscriptions');
    key = await stack.apiKey(tailnet, 'ops@crash.example.com');
    db = new Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
  });

  after(async () => {
    await db?.end();
    await stack?.stop();
  });

  /** Every config event in the topic now, in partition order. */
  async function readConfigTopic(): Promise<EndpointConfigEvent[]> {
    const kafka = new Kafka({ clientId: 'crash-test', brokers: stack.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    const reader = await TopicReader.open(kafka, `${stack.env.KAFKA_TOPIC_PREFIX}tidings.endpoint-config.v1`);
    await reader.stop();
    return reader.records.map((r) => endpointConfigEventSchema.parse(JSON.parse(r.value!.toString())));
  }

  it('publishes every committed change, and consumers apply each exactly once', async (t) => {
    const created = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        stack.api('POST', `/api/v2/tailnet/${tailnet}/webhooks`, key, { endpointUrl: `https://hooks.example.com/${i}`, subscriptions: ['nodeCreated'] }),
      ),
    );
    const ids = created.map((r) => (r.body as { endpointId: string }).endpointId);
    const pendingAfterAnswers = Number((await db.query('SELECT count(*) FROM outbox WHERE published_at IS NULL')).rows[0].count);
    assert.equal(pendingAfterAnswers, 0, 'when the API answers, its change is already in Kafka');

    // A burst of writes, and a SIGKILL while it is in flight.
    const types = ['nodeDeleted', 'userCreated', 'policyUpdate', 'nodeApproved', 'userDeleted'];
    const burst = Array.from({ length: 60 }, (_, i) =>
      stack.api('PATCH', `/api/v2/webhooks/${ids[i % ids.length]}`, key, { subscriptions: [types[i % types.length]] }).catch(() => ({ status: 0 })),
    );
    await waitFor('some writes to commit', async () => Number((await db.query('SELECT count(*) FROM endpoint_events')).rows[0].count) > ids.length + 5, 10_000, 5);
    await stack.services.get('subscriptions')!.kill();
    const outcomes = (await Promise.all(burst)).map((r) => r.status);
    const unpublished = Number((await db.query("SELECT count(*) FROM outbox WHERE published_at IS NULL AND topic_key = 'endpointConfig'")).rows[0].count);
    t.diagnostic(`burst outcomes: ${outcomes.filter((s) => s === 200).length} ok, ${outcomes.filter((s) => s === 409).length} conflicts, ${outcomes.filter((s) => s === 0).length} cut off; ${unpublished} config events committed but unpublished at the crash`);

    // As if the crash had also come after a Kafka write but before its mark: republish some.
    const republished = (await db.query("UPDATE outbox SET published_at = NULL WHERE id IN (SELECT id FROM outbox WHERE published_at IS NOT NULL AND topic_key = 'endpointConfig' ORDER BY id DESC LIMIT 5)")).rowCount ?? 0;
    assert.equal(republished, 5);

    await stack.start('subscriptions');
    await waitFor('the relay to drain the outbox', async () => Number((await db.query('SELECT count(*) FROM outbox WHERE published_at IS NULL')).rows[0].count) === 0, 30_000);

    const stored = (await db.query<{ event: EndpointConfigEvent }>('SELECT event FROM endpoint_events ORDER BY position')).rows.map((r) => r.event);
    const onKafka = await readConfigTopic();
    const storedIds = new Set(stored.map((e) => e.eventId));
    assert.ok(onKafka.every((e) => storedIds.has(e.eventId)), 'nothing on Kafka that the store does not hold');
    assert.deepEqual(new Set(onKafka.map((e) => e.eventId)), storedIds, 'every stored change reached Kafka');
    assert.ok(onKafka.length >= stored.length + republished, 'the republished records are on Kafka twice');

    // Fold as the trigger and publisher do: duplicates are recognised, each change applied once.
    const states = new Map<string, EndpointState | undefined>();
    let applied = 0;
    let duplicates = 0;
    for (const event of onKafka) {
      const { state, outcome } = applyConfigEvent(states.get(event.endpointId), event);
      states.set(event.endpointId, state);
      if (outcome === 'applied') applied += 1;
      else if (outcome === 'duplicate') duplicates += 1;
      else assert.fail(`unexpected outcome ${outcome} for ${event.endpointId} v${event.version}`);
    }
    assert.equal(applied, stored.length);
    assert.equal(duplicates, onKafka.length - stored.length);

    // And the folded view agrees with the API's projection.
    for (const id of ids) {
      const view = (await stack.api('GET', `/api/v2/webhooks/${id}`, key)).body as { subscriptions: string[] };
      assert.deepEqual(states.get(id)?.subscriptions, view.subscriptions, id);
    }
  });
});
