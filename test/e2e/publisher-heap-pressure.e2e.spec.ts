import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Producer } from 'kafkajs';
import { type TidingsStack, waitFor } from '@tidings/testing';
import { createEndpoint, deliveredEvents, emitNodeEvents, startStackAndProducer, stopStackAndProducer } from './delivery-helpers';

/**
 * LANES_PAUSE_AT_HEAP_PERCENT: past that share of its heap limit the publisher stops fetching
 * payloads, whatever LANES_MAX_PENDING_RECORDS allows. At 1% the heap is always past it, so the
 * partition stops after the first batch it reads and stays stopped (it would fetch again only
 * below -9%): what was read is delivered, what comes after waits in Kafka, and the process lives.
 */
describe('the publisher under heap pressure', () => {
  let stack: TidingsStack;
  let producer: Producer;

  before(async () => {
    ({ stack, producer } = await startStackAndProducer('heap-pressure', { LANES_PAUSE_AT_HEAP_PERCENT: '1' }));
  });

  after(async () => {
    await stopStackAndProducer(stack, producer);
  });

  it('delivers what it read, then stops fetching and says why, and stays up', async () => {
    const key = await stack.apiKey('pressure.example.com');
    const endpoint = await createEndpoint(stack, key, 'pressure.example.com', '/pressure');
    const [first] = await emitNodeEvents(stack, producer, 'pressure.example.com', ['d0']);
    await waitFor('the first event delivered', () => deliveredEvents(stack, endpoint).some((e) => e.id === first), 60_000);

    const [second] = await emitNodeEvents(stack, producer, 'pressure.example.com', ['d1']);
    await sleep(8_000);
    assert.deepEqual(deliveredEvents(stack, endpoint).map((e) => e.id), [first], 'the second event stays in Kafka while the heap is too full');
    assert.ok(second);
    assert.match(readFileSync(join(stack.logDir, 'publisher.log'), 'utf8'), /heap nearly full; partitions stop fetching/);
    assert.equal((await fetch(stack.healthUrl('publisher'))).status, 200, 'paused, not stopped');
    const metrics = await (await fetch(stack.metricsUrl('publisher'))).text();
    assert.match(metrics, /^tidings_publisher_lanes_heap_pauses_total [1-9]/m, 'counted, once per spell');
  });
});
