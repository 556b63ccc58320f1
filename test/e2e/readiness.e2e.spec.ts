import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { TidingsStack, waitFor, type ServiceName } from '@tidings/testing';

interface ReadyAnswer {
  status: number;
  contentType: string | null;
  body: { status?: string; notReady?: { name: string; reason: string }[] };
}

/** /ready of the four services as the processes a pod runs, and the API's database check. */
describe('readiness', () => {
  let stack: TidingsStack;
  const ready = async (name: ServiceName): Promise<ReadyAnswer> => {
    const res = await fetch(stack.readyUrl(name));
    return { status: res.status, contentType: res.headers.get('content-type'), body: (await res.json()) as ReadyAnswer['body'] };
  };

  before(async () => {
    stack = await TidingsStack.create('ready');
    await stack.start();
  });

  after(async () => {
    await stack?.stop();
  });

  it('every service is ready once started: consumers in their groups, database reachable, proxy listening', async () => {
    for (const name of ['egress', 'subscriptions', 'trigger', 'publisher'] as const) {
      const answer = await waitFor(`${name} to be ready`, async () => {
        const a = await ready(name);
        return a.status === 200 && a;
      });
      assert.deepEqual(answer.body, { status: 'ready' }, name);
    }
    assert.equal((await fetch(stack.healthUrl('trigger'))).status, 200, '/health is unchanged');
  });

  it('the API turns not ready when it cannot reach PostgreSQL, naming the check and why', async () => {
    await stack.dropDatabaseNow();
    const answer = await waitFor('subscriptions to report its database', async () => {
      const a = await ready('subscriptions');
      return a.status === 503 && a;
    });
    assert.equal(answer.contentType, 'application/problem+json; charset=utf-8');
    const postgres = answer.body.notReady?.find((c) => c.name === 'postgres');
    assert.ok(postgres, JSON.stringify(answer.body));
    assert.match(postgres.reason, /.+/);
    assert.equal((await fetch(stack.healthUrl('subscriptions'))).status, 200, 'still alive: liveness does not depend on the database');
  });

  it('the trigger turns not ready when its consumer loses its topic, naming its group', async () => {
    const admin = new Kafka({ clientId: 'readiness-e2e', brokers: stack.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [stack.env.DOMAIN_EVENTS_TOPIC!] });
    } finally {
      await admin.disconnect();
    }
    const answer = await waitFor(
      'the trigger to report its consumer',
      async () => {
        const a = await ready('trigger');
        return a.status === 503 && a;
      },
      60_000,
    );
    // kafkajs gives up on the partitions' metadata and crashes the consumer, then restarts it.
    const group = `kafka consumer ${stack.env.KAFKA_TOPIC_PREFIX}tidings.trigger.v1`;
    const check = answer.body.notReady?.find((c) => c.name === group);
    assert.match(check?.reason ?? JSON.stringify(answer.body), /^crashed \(.+\); restarting$/);
  });
});
