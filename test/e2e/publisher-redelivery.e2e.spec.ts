import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Producer } from 'kafkajs';
import { TidingsStack, waitFor, type ServiceProcess } from '@tidings/testing';
import { assertRedeliveriesOnly, createEndpoint, deliveredEvents, emitNodeEvents, kafkaFor, payloadPartition, type Endpoint } from './delivery-helpers';

/**
 * A lane partition commits only up to its first unfinished record, so a slow endpoint keeps
 * its fast neighbours' delivered records uncommitted; when the partition changes hands they
 * are read again. Their batches must then go out as they were (same webhook-id, same body),
 * never re-formed around other events under a new id (found by the chaos run, issue 17).
 */
describe('publisher: batches read again after a hand-over', () => {
  let stack: TidingsStack;
  let producer: Producer;
  let next: ServiceProcess | undefined;

  before(async () => {
    stack = await TidingsStack.create('redelivery');
    await stack.start();
    producer = kafkaFor(stack).producer();
    await producer.connect();
  });
  after(async () => {
    await next?.stop();
    await producer?.disconnect();
    await stack?.stop();
  });

  it('re-sends each delivered batch of a fast endpoint as it was, behind a slow neighbour', async () => {
    const tailnet = 'handover.example.com';
    const key = await stack.apiKey(tailnet);
    const endpoints: Endpoint[] = [];
    let pair: [Endpoint, Endpoint] | undefined;
    for (let i = 0; !pair && i < 12; i += 1) {
      const e = await createEndpoint(stack, key, tailnet, `/h${i}`, ['nodeCreated']);
      const neighbour = endpoints.find((o) => payloadPartition(o.endpointId) === payloadPartition(e.endpointId));
      if (neighbour) pair = [neighbour, e];
      endpoints.push(e);
    }
    assert.ok(pair, 'two endpoints on one lane partition');
    const [slow, fast] = pair;
    stack.receiver.answers.set(slow.path, { status: 200, delayMs: 4_000 });

    const ids: string[] = [];
    for (let i = 0; i < 24; i += 1) {
      ids.push(...(await emitNodeEvents(stack, producer, tailnet, [`d${i}`])));
      await new Promise((r) => setTimeout(r, 150));
    }
    await waitFor('the fast endpoint to have most events', () => deliveredEvents(stack, fast).length >= 16, 30_000);
    // A clean stop hands the partition over; the slow neighbour's batch is still in flight.
    await stack.services.get('publisher')!.stop();
    next = await stack.startInstance('publisher', 'publisher-next');
    for (const e of [fast, slow]) await waitFor(`every event at ${e.path}`, () => new Set(deliveredEvents(stack, e).map((d) => d.id)).size >= ids.length, 90_000);

    for (const e of [fast, slow]) {
      assertRedeliveriesOnly(stack, e);
      assert.deepEqual([...new Set(deliveredEvents(stack, e).map((d) => d.id))], ids, `${e.path}: first arrivals in order`);
    }
  });
});
