import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Producer } from 'kafkajs';
import { type TidingsStack, waitFor, type ServiceProcess } from '@tidings/testing';
import { assertRedeliveriesOnly, createEndpoint, deliveredEvents, emitNodeEvents, eventsOf, isPayload, startStackAndProducer, stopStackAndProducer, requestsTo, type Endpoint } from './delivery-helpers';

async function publisherDeliveries(port: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return [...text.matchAll(/^tidings_publisher_deliveries_total\{kind="payload",outcome="delivered"\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

/**
 * Publisher instances come and go: two at once share the work, a kill -9 mid-batch loses
 * nothing, and a rebalance while a retry waits keeps the schedule and the order.
 */
describe('publisher instances: sharing, crashes and rebalances', () => {
  let stack: TidingsStack;
  let producer: Producer;
  let second: ServiceProcess | undefined;

  before(async () => {
    ({ stack, producer } = await startStackAndProducer('failover', { RETRY_SCHEDULE: '3s*5' }));
  });

  after(async () => {
    await second?.stop();
    await stopStackAndProducer(stack, producer);
  });

  it('shares the endpoints between two publisher instances, each event delivered', async () => {
    second = await stack.startInstance('publisher', 'publisher-2');
    const tailnet = 'shared.example.com';
    const key = await stack.apiKey(tailnet);
    const endpoints: Endpoint[] = [];
    for (let i = 0; i < 12; i++) endpoints.push(await createEndpoint(stack, key, tailnet, `/shared-${i}`));
    const ids = await emitNodeEvents(stack, producer, tailnet, Array.from({ length: 50 }, (_, i) => `s${i}`));
    for (const e of endpoints) await waitFor(`${e.path} has every event`, () => deliveredEvents(stack, e).length >= 50, 60_000);
    for (const e of endpoints) assert.deepEqual(deliveredEvents(stack, e).map((d) => d.id), ids, `${e.path}: every event once, in order`);
    const [a, b] = await Promise.all([publisherDeliveries(stack.env.PUBLISHER_PORT!), publisherDeliveries(second.port)]);
    assert.ok(a > 0 && b > 0, `both instances delivered (${a} and ${b} batches)`);
  });

  it('loses nothing when a publisher is killed (-9) mid-batch; a duplicate is the same batch again', async () => {
    const tailnet = 'crash.example.com';
    const key = await stack.apiKey(tailnet);
    const endpoint = await createEndpoint(stack, key, tailnet, '/crash');
    // The endpoint answers its first two POSTs, then holds the third unanswered: the kill lands
    // mid-stream, with a batch in flight, whatever the machine's speed (an awaited marker, not a race).
    let posts = 0;
    stack.receiver.answers.set('/crash', () => (++posts <= 2 ? { status: 200 } : { status: 200, delayMs: 30_000 }));
    const ids = await emitNodeEvents(stack, producer, tailnet, Array.from({ length: 3_000 }, (_, i) => `k${i}`));
    await waitFor('a batch in flight, held by the endpoint', () => posts >= 3, 60_000);
    await stack.services.get('publisher')!.kill();
    await second!.kill();
    stack.receiver.answers.delete('/crash');
    const atKill = deliveredEvents(stack, endpoint).length;
    second = await stack.startInstance('publisher', 'publisher-2b');
    await waitFor('every event delivered after the crash', () => new Set(deliveredEvents(stack, endpoint).map((e) => e.id)).size >= 3_000, 120_000);
    const delivered = deliveredEvents(stack, endpoint).map((e) => e.id);
    assert.deepEqual([...new Set(delivered)].sort(), [...ids].sort(), 'no event lost');
    assert.ok(atKill < 3_000, `the kill landed mid-stream (${atKill} delivered before it)`);
    assertRedeliveriesOnly(stack, endpoint);
    // Order holds for first deliveries: each event's first arrival follows its predecessor's.
    const firstSeen = [...new Set(delivered)];
    assert.deepEqual(firstSeen, ids, 'first arrivals in the order produced');
  });

  it('keeps a waiting retry, its schedule and the order through a rebalance', async () => {
    const tailnet = 'rebalance.example.com';
    const key = await stack.apiKey(tailnet);
    let healthy = false;
    stack.receiver.answers.set('/rebalance', (w) => (w.body.includes('"type":"nodeCreated"') && !healthy ? { status: 500 } : { status: 200 }));
    const endpoint = await createEndpoint(stack, key, tailnet, '/rebalance');
    const [first] = await emitNodeEvents(stack, producer, tailnet, ['r0']);
    await waitFor('the first attempt failed', () => requestsTo(stack, '/rebalance').some(isPayload), 30_000);
    const later = await emitNodeEvents(stack, producer, tailnet, ['r1', 'r2', 'r3']);

    // A rebalance while the retry waits: a new member joins and the crashed-and-restarted one leaves.
    const third = await stack.startInstance('publisher', 'publisher-3');
    await second!.stop();
    second = third;
    const attempts = await waitFor('a retry after the rebalance', () => {
      const a = requestsTo(stack, '/rebalance').filter((w) => eventsOf(w).some((e) => e.id === first));
      return a.length >= 2 ? a : undefined;
    }, 30_000);
    const gap = attempts[1]!.receivedAt.getTime() - attempts[0]!.receivedAt.getTime();
    // Never early (the due time survived the rebalance); the upper bound only says it was not lost.
    assert.ok(gap >= 2_900 && gap < 30_000, `the retry kept its due time through the rebalance (${gap} ms after the first)`);

    healthy = true;
    await waitFor('every event delivered', () => deliveredEvents(stack, endpoint).length >= 4, 60_000);
    assert.deepEqual(deliveredEvents(stack, endpoint).map((e) => e.id), [first, ...later], 'in order, each once');
    assertRedeliveriesOnly(stack, endpoint);
  });
});
