import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Producer } from 'kafkajs';
import { resolveConsumer, resolveTopicNames } from '@tidings/contracts';
import { type TidingsStack, waitFor, type ServiceProcess } from '@tidings/testing';
import { assertRedeliveriesOnly, createEndpoint, deliveredEvents, emitNodeEvents, kafkaFor, startStackAndProducer, stopStackAndProducer, payloadPartition, type Endpoint } from './delivery-helpers';

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
  let third: ServiceProcess | undefined;

  before(async () => {
    ({ stack, producer } = await startStackAndProducer('redelivery'));
  });
  after(async () => {
    await third?.stop();
    await next?.stop();
    await stopStackAndProducer(stack, producer);
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

  it('after a rebalance, sends nothing twice from the partitions an instance keeps, and their commits catch up', async () => {
    // kafkajs reads the partitions it keeps again from their committed offsets after every
    // rebalance; those records were already in the instance's lanes (chaos run, seed 17).
    const tailnet = 'kept.example.com';
    const key = await stack.apiKey(tailnet);
    const endpoints: Endpoint[] = [];
    for (let i = 0; i < 8; i += 1) endpoints.push(await createEndpoint(stack, key, tailnet, `/k${i}`, ['nodeCreated']));
    // Slow answers keep a batch in flight through the rebalance, and later records queued behind it.
    for (const e of endpoints) stack.receiver.answers.set(e.path, { status: 200, delayMs: 5_000 });
    const ids: string[] = [];
    const emit = async (n: number) => {
      for (let i = 0; i < n; i += 1) {
        ids.push(...(await emitNodeEvents(stack, producer, tailnet, [`k${ids.length}`])));
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await emit(20);
    third = await stack.startInstance('publisher', 'publisher-third');
    await emit(20);
    for (const e of endpoints) await waitFor(`every event at ${e.path}`, () => new Set(deliveredEvents(stack, e).map((d) => d.id)).size >= ids.length, 90_000);
    for (const e of endpoints) {
      assertRedeliveriesOnly(stack, e);
      assert.deepEqual([...new Set(deliveredEvents(stack, e).map((d) => d.id))], ids, `${e.path}: first arrivals in order`);
    }

    const prefix = stack.env.KAFKA_TOPIC_PREFIX!;
    const lanes = resolveConsumer('publisherLanes', { prefix, topics: resolveTopicNames({ prefix, domainEventsTopic: stack.env.DOMAIN_EVENTS_TOPIC!, retryDelaysMs: [] }) });
    const admin = kafkaFor(stack).admin();
    await admin.connect();
    try {
      const [topic] = lanes.topics;
      // Up to the end of every partition, but the trigger's last transaction marker.
      await waitFor('the lanes group committed up to the end of every partition', async () => {
        const ends = await admin.fetchTopicOffsets(topic!);
        const [committed] = await admin.fetchOffsets({ groupId: lanes.groupId, topics: [topic!] });
        return ends.every((end) => {
          const at = Number(committed!.partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
          return Number(end.high) - (at < 0 ? Number(end.low) : at) <= 1;
        });
      }, 30_000, 500);
    } finally {
      await admin.disconnect();
    }
  });
});
