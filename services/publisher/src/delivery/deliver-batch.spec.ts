import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeliveryBatch } from '@tidings/contracts';
import type { EndpointState } from '@tidings/endpoint-directory';
import type { SecretBox } from '@tidings/secret-box';
import type { FailedBatchRouter } from '../retry/failed-batch-router';
import { DeliverBatch, type FormOnSlot } from './deliver-batch';
import type { DeliveryRecordsProducer } from './delivery-records.producer';
import type { AttemptOutcome, DeliveryKind, DeliveryTarget } from './delivery-terms';
import type { EgressSlot } from './egress-client';
import type { PublisherMetrics } from './publisher-metrics';
import type { WebhookDispatcher } from './webhook-dispatcher';

const batch: DeliveryBatch = { id: 'b1', events: [{ id: 'e1' }, { id: 'e2' }] as DeliveryBatch['events'] };
const endpoint = {
  endpointId: 'ep1',
  tailnet: 'example.ts.net',
  endpointUrl: 'https://hooks.example/ep1',
  providerType: 'slack',
  enabled: true,
  disabledReason: null,
  secret: 'sealed-1',
  previousSecret: null,
  version: 3,
} as unknown as EndpointState;

/** A lane's send as a promise, the way a caller that waits alone would take it. */
const formOnSlot = (deliver: DeliverBatch, request: FormOnSlot) => new Promise<AttemptOutcome | undefined>((resolve) => deliver.whenFormed(request, resolve));

const delivered: AttemptOutcome = { outcome: 'delivered', status: 200, latencyMs: 12 };
const failed: AttemptOutcome = { outcome: 'failed', status: 503, latencyMs: 40, reason: 'the endpoint answered 503', retryAfterMs: undefined };
const timedOut: AttemptOutcome = { outcome: 'failed', status: null, latencyMs: 5000, reason: 'no answer within 5000 ms', retryAfterMs: undefined };

/** Fakes that write down every call; a slot counts each release, so a second one shows. */
function harness(answer: AttemptOutcome | Error = delivered) {
  const calls = { reserved: [] as DeliveryKind[], released: 0, dispatched: [] as { kind: DeliveryKind; target: DeliveryTarget; batchId: string; attempt: number }[], formed: [] as number[], waited: 0, attempts: [] as unknown[][], routed: [] as unknown[][], deadLetters: [] as unknown[][] };
  const slot: EgressSlot = { post: () => Promise.reject(new Error('not used')), release: () => void (calls.released += 1) };
  const dispatcher = {
    backlogged: true,
    reserve: async (kind: DeliveryKind) => (calls.reserved.push(kind), slot),
    whenReserved: (kind: DeliveryKind, take: (s: EgressSlot) => void) => (calls.reserved.push(kind), queueMicrotask(() => take(slot))),
    dispatch: async (_slot: EgressSlot, kind: DeliveryKind, target: DeliveryTarget, b: DeliveryBatch, attempt: number) => {
      calls.dispatched.push({ kind, target, batchId: b.id, attempt });
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as unknown as WebhookDispatcher;
  const records = {
    attempt: async (...args: unknown[]) => void calls.attempts.push(args),
    deadLetter: async (...args: unknown[]) => void calls.deadLetters.push(args),
  } as unknown as DeliveryRecordsProducer;
  const router = { route: async (...args: unknown[]) => (calls.routed.push(args), { next: 'retry', attempt: 2, dueAt: new Date(0) }) } as unknown as FailedBatchRouter;
  const secretBox = { open: (sealed: string, id: string) => `open(${sealed},${id})` } as unknown as SecretBox;
  const metrics = { batchFormed: (n: number) => void calls.formed.push(n), batchWaited: () => void (calls.waited += 1) } as unknown as PublisherMetrics;
  return { calls, deliver: new DeliverBatch({ dispatcher, records, router, secretBox, metrics }) };
}

describe('DeliverBatch.run', () => {
  for (const [name, answer] of [['delivered', delivered], ['failed', failed], ['timed out', timedOut]] as const) {
    it(`takes one slot and gives it back once when the attempt is ${name}`, async () => {
      const { calls, deliver } = harness(answer);
      const result = await deliver.run({ kind: 'payload', attempt: 1, batch, to: { endpoint } });
      assert.deepEqual(result, answer);
      assert.deepEqual(calls.reserved, ['payload']);
      assert.equal(calls.released, 1);
      assert.deepEqual(calls.dispatched, [{ kind: 'payload', target: { endpointId: 'ep1', tailnet: 'example.ts.net', endpointUrl: 'https://hooks.example/ep1', provider: 'slack', secrets: ['open(sealed-1,ep1)'] }, batchId: 'b1', attempt: 1 }]);
    });
  }

  it('gives the slot back once when sending throws, and lets the error through', async () => {
    const { calls, deliver } = harness(new Error('boom'));
    await assert.rejects(deliver.run({ kind: 'payload', attempt: 2, batch, to: { endpoint } }), /boom/);
    assert.equal(calls.reserved.length, 1);
    assert.equal(calls.released, 1);
  });

  it('gives the slot back while a batch waits for company, then forms it on a new slot and sends it', async () => {
    const { calls, deliver } = harness();
    const told: boolean[] = [];
    const releasedBefore: number[] = [];
    const started = Date.now();
    const form = (backlogged: boolean) => {
      told.push(backlogged);
      releasedBefore.push(calls.released);
      // The first time: step aside for 50 ms; then the batch goes.
      return told.length === 1 ? { laterInMs: 50, reason: 'company' as const } : { batch, to: { endpoint } };
    };
    const result = await formOnSlot(deliver, { kind: 'payload', attempt: 1, form });
    assert.deepEqual(result, delivered);
    assert.deepEqual(told, [true, true], 'form is told the egress is backlogged');
    assert.ok(Date.now() - started >= 45, 'the pause came before the second slot');
    assert.deepEqual(calls.reserved, ['payload', 'payload'], 'a slot for each formation');
    assert.deepEqual(releasedBefore, [0, 1], 'the first slot went back before the second was taken');
    assert.equal(calls.released, 2);
    assert.equal(calls.waited, 1);
    assert.deepEqual(calls.formed, [2], 'formed (and counted) once');
    assert.equal(calls.dispatched.length, 1);
  });

  it('gives the slot back once when forming the batch throws', async () => {
    const { calls, deliver } = harness();
    const form = (): never => {
      throw new Error('cannot form');
    };
    await assert.rejects(formOnSlot(deliver, { kind: 'payload', attempt: 1, form }), /cannot form/);
    assert.equal(calls.released, 1);
    assert.equal(calls.dispatched.length, 0);
  });

  it('asks a lane for its batch only once the slot is taken; nothing left: the slot goes back unused', async () => {
    const { calls, deliver } = harness();
    let reservedWhenAsked = -1;
    const result = await formOnSlot(deliver, { kind: 'payload', attempt: 1, form: () => ((reservedWhenAsked = calls.reserved.length), undefined) });
    assert.equal(result, undefined);
    assert.equal(reservedWhenAsked, 1);
    assert.equal(calls.released, 1);
    assert.equal(calls.dispatched.length, 0);
    assert.deepEqual(calls.formed, []);
  });

  it('counts a first try’s batch as formed even when its endpoint is disabled, and sends nothing', async () => {
    const { calls, deliver } = harness();
    const result = await formOnSlot(deliver, { kind: 'payload', attempt: 1, form: () => ({ batch, to: undefined }) });
    assert.equal(result, undefined);
    assert.deepEqual(calls.formed, [2]);
    assert.equal(calls.released, 1);
    assert.equal(calls.dispatched.length, 0);
  });

  it('sends a notice ahead of payloads to the target it names, without counting a formed batch', async () => {
    const { calls, deliver } = harness();
    const target = { endpointId: 'ep9', tailnet: 't9', endpointUrl: 'https://hooks.example/ep9', provider: '' as const, secrets: ['s'] };
    await deliver.run({ kind: 'notice', attempt: 3, batch, to: { target } });
    assert.deepEqual(calls.reserved, ['notice']);
    assert.deepEqual(calls.dispatched, [{ kind: 'notice', target, batchId: 'b1', attempt: 3 }]);
    assert.deepEqual(calls.formed, []);
    assert.equal(calls.released, 1);
  });
});

describe('DeliverBatch.record', () => {
  const origin = { firstFailedAt: '2026-01-01T00:00:00.000Z', originTraceparent: '00-abc-def-01' };

  it('writes a delivered attempt with no next attempt, and routes nothing', async () => {
    const { calls, deliver } = harness();
    assert.deepEqual(await deliver.record(endpoint, batch, 4, delivered, origin), { next: 'delivered' });
    assert.deepEqual(calls.attempts, [[endpoint, batch, 4, delivered, null]]);
    assert.deepEqual(calls.routed, []);
  });

  it('hands a failed attempt to the router with where its chain began, and returns its answer', async () => {
    const { calls, deliver } = harness();
    assert.deepEqual(await deliver.record(endpoint, batch, 1, failed, origin), { next: 'retry', attempt: 2, dueAt: new Date(0) });
    assert.deepEqual(calls.routed, [[endpoint, batch, 1, failed, origin.firstFailedAt, origin.originTraceparent]]);
    assert.deepEqual(calls.attempts, []);
  });

  it('dead-letters a batch refused for a disabled endpoint, with the reason it was disabled', async () => {
    const { calls, deliver } = harness();
    assert.equal(await deliver.refuse(endpoint, batch, 2, 'too many failures'), 'endpoint disabled: too many failures');
    assert.equal(await deliver.refuse(endpoint, batch, 0, null), 'endpoint disabled: no reason given');
    assert.deepEqual(calls.deadLetters, [
      [endpoint, batch, 'endpointDisabled', 2, 'endpoint disabled: too many failures'],
      [endpoint, batch, 'endpointDisabled', 0, 'endpoint disabled: no reason given'],
    ]);
  });
});
