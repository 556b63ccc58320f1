import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Producer } from 'kafkajs';
import { type TidingsStack, waitFor, type ReceivedWebhook } from '@tidings/testing';
import { createEndpoint, deliveredEvents, emitNodeEvents, eventsOf, isPayload, startStackAndProducer, stopStackAndProducer, requestsTo } from './delivery-helpers';

const SLOW_ANSWER_MS = 5_000;

/**
 * When every connection to the egress is busy (DELIVERY_CONCURRENCY=1 here, 64 by default),
 * endpoints wait their turn: a waiting endpoint's batch is formed when its turn comes, so it
 * carries what arrived meanwhile, and notices (here a test event) go ahead of waiting payloads.
 */
describe('deliveries waiting for a connection to the egress', () => {
  let stack: TidingsStack;
  let producer: Producer;

  before(async () => {
    ({ stack, producer } = await startStackAndProducer('concurrency', { DELIVERY_CONCURRENCY: '1', BATCH_LINGER_MS: '3000' }));
  });

  after(async () => {
    await stopStackAndProducer(stack, producer);
  });

  it('batches what arrived while the endpoint waited, and sends a test event ahead of it', async () => {
    const slowKey = await stack.apiKey('slow.example.com');
    await createEndpoint(stack, slowKey, 'slow.example.com', '/slow');
    stack.receiver.answers.set('/slow', { status: 200, delayMs: SLOW_ANSWER_MS });
    const key = await stack.apiKey('waiting.example.com');
    const waiting = await createEndpoint(stack, key, 'waiting.example.com', '/waiting');

    // The only connection is busy for SLOW_ANSWER_MS from here.
    await emitNodeEvents(stack, producer, 'slow.example.com', ['s0']);
    await waitFor('the slow endpoint holding the connection', () => requestsTo(stack, '/slow').some(isPayload), 30_000);
    const ids: string[] = [];
    for (const device of ['w0', 'w1', 'w2', 'w3', 'w4']) {
      ids.push(...(await emitNodeEvents(stack, producer, 'waiting.example.com', [device])));
      await sleep(100);
    }
    assert.equal((await stack.api('POST', `/api/v2/webhooks/${waiting.endpointId}/test`, key)).status, 202);

    const isTest = (w: ReceivedWebhook) => eventsOf(w).some((e) => e.type === 'test');
    await waitFor('the five events and the test event delivered', () => deliveredEvents(stack, waiting).length >= 5 && requestsTo(stack, '/waiting').some(isTest), 60_000);
    const posts = requestsTo(stack, '/waiting');
    const payloads = posts.filter(isPayload);
    assert.deepEqual(
      payloads.map((p) => eventsOf(p).map((e) => e.id)),
      [ids],
      'one POST: the batch formed when the connection came free, with every event that arrived meanwhile, in order',
    );
    assert.ok(posts.findIndex(isTest) < posts.indexOf(payloads[0]!), 'the test event went ahead of the waiting payloads');
    assert.ok(payloads[0]!.receivedAt.getTime() - requestsTo(stack, '/slow').find(isPayload)!.receivedAt.getTime() >= SLOW_ANSWER_MS - 100, 'the payloads waited for the connection');
  });
});
