import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeliveryHold } from './delivery-holds.repository';
import { stateOf, transition, type HoldEffect, type HoldEvent } from './hold-machine';

const hold = (over: Partial<DeliveryHold> = {}): DeliveryHold => ({ endpointId: 'ep', batchId: 'b1', attempt: 2, state: 'retrying', configVersion: 3, reason: null, lanePartition: 0, ...over });
const enabled = { enabled: true, version: 3, disabledReason: null };
const kinds = (effects: HoldEffect[]) => effects.map((e) => e.kind);
const resolved = (over: Partial<Extract<HoldEvent, { kind: 'retryResolved' }>> = {}): HoldEvent => ({ kind: 'retryResolved', batchId: 'b1', outcome: 'delivered', reason: null, configVersion: 4, ...over });

describe('hold machine: a payload arrives', () => {
  it('is delivered when the endpoint is free', () => {
    const t = transition(undefined, { kind: 'payloadArrived', endpoint: enabled });
    assert.equal(t.next, undefined);
    assert.deepEqual(t.effects, [{ kind: 'deliver' }]);
  });

  for (const state of ['retrying', 'resolved', 'draining'] as const) {
    it(`parks behind the held batch while ${state} (a payload during a drain waits its turn)`, () => {
      const h = hold({ state });
      const t = transition(h, { kind: 'payloadArrived', endpoint: enabled });
      assert.equal(t.next, h);
      assert.deepEqual(t.effects, [{ kind: 'park', behind: 'b1' }]);
    });
  }

  it('is dropped when the endpoint is deleted, held or not', () => {
    assert.deepEqual(transition(undefined, { kind: 'payloadArrived', endpoint: undefined }).effects, [{ kind: 'dropPayload' }]);
    assert.deepEqual(transition(hold(), { kind: 'payloadArrived', endpoint: undefined }).effects, [{ kind: 'dropPayload' }]);
  });

  it('is dead-lettered when the endpoint is disabled, held or not', () => {
    const disabled = { enabled: false, version: 4, disabledReason: 'by hand' };
    assert.deepEqual(transition(undefined, { kind: 'payloadArrived', endpoint: disabled }).effects, [{ kind: 'deadLetterPayload', reason: 'endpoint disabled: by hand' }]);
    assert.deepEqual(transition(hold({ state: 'draining' }), { kind: 'payloadArrived', endpoint: { ...disabled, disabledReason: null } }).effects, [
      { kind: 'deadLetterPayload', reason: 'endpoint disabled: no reason given' },
    ]);
  });

  it('follows a dead-lettered batch to the dead letters until the endpoint is enabled again', () => {
    const h = hold({ state: 'deadLettered', reason: '410' });
    for (const endpoint of [enabled, { ...enabled, enabled: false, version: 9 }, undefined]) {
      const t = transition(h, { kind: 'payloadArrived', endpoint });
      assert.equal(t.next, h);
      assert.deepEqual(t.effects, [{ kind: 'deadLetterPayload', reason: 'endpoint disabled after failed deliveries: 410' }]);
    }
    assert.match((transition(hold({ state: 'deadLettered' }), { kind: 'payloadArrived', endpoint: undefined }).effects[0] as { reason: string }).reason, /see earlier dead letters/);
  });

  it('frees a dead-lettered endpoint enabled again with a newer config, and delivers', () => {
    const t = transition(hold({ state: 'deadLettered' }), { kind: 'payloadArrived', endpoint: { ...enabled, version: 4 } });
    assert.equal(t.next, undefined);
    assert.deepEqual(kinds(t.effects), ['deleteHold', 'deliver']);
  });
});

describe('hold machine: the lane reads retryResolved', () => {
  for (const state of ['retrying', 'resolved'] as const) {
    it(`delivered, while ${state}: the hold drains`, () => {
      const t = transition(hold({ state }), resolved());
      assert.equal(stateOf(t.next), 'draining');
      assert.deepEqual(t.effects, [{ kind: 'putHold', hold: hold({ state: 'draining' }) }, { kind: 'startDrain' }]);
    });
  }

  it('endpointGone: the waiting items are discarded and the hold removed', () => {
    const t = transition(hold({ state: 'resolved' }), resolved({ outcome: 'endpointGone' }));
    assert.equal(t.next, undefined);
    assert.deepEqual(kinds(t.effects), ['discardWaiting', 'deleteHold']);
  });

  it('deadLettered: the hold says so, at the current config, and what waits is dead-lettered', () => {
    const t = transition(hold({ state: 'resolved' }), resolved({ outcome: 'deadLettered', reason: 'exhausted' }));
    const next = hold({ state: 'deadLettered', reason: 'exhausted', configVersion: 4 });
    assert.deepEqual(t.next, next);
    assert.deepEqual(t.effects, [
      { kind: 'putHold', hold: next },
      { kind: 'stopDrain' },
      { kind: 'deadLetterWaiting', batchId: 'b1', reason: 'waited behind batch b1, which was dead-lettered: exhausted' },
    ]);
    assert.equal(transition(hold(), resolved({ outcome: 'deadLettered' })).next?.reason, 'retries exhausted');
  });

  it('is ignored when the hold row is already gone (drained before a crash)', () => {
    const t = transition(undefined, resolved());
    assert.equal(t.next, undefined);
    assert.deepEqual(kinds(t.effects), ['ignore']);
  });

  it('is ignored as a duplicate after a restart (the hold drains or gave up already)', () => {
    for (const state of ['draining', 'deadLettered'] as const) {
      const h = hold({ state });
      const t = transition(h, resolved());
      assert.equal(t.next, h);
      assert.deepEqual(kinds(t.effects), ['ignore']);
      assert.equal(t.illegal, undefined);
    }
  });

  it('is ignored when about another batch than the held one', () => {
    const h = hold({ state: 'resolved', batchId: 'b2' });
    assert.deepEqual(kinds(transition(h, resolved()).effects), ['ignore']);
    assert.equal(transition(h, resolved()).next, h);
  });
});

describe('hold machine: a batch the lane sent failed', () => {
  const failed = (over: Partial<DeliveryHold> = {}, throughSeq?: number): HoldEvent => ({ kind: 'firstAttemptFailed', hold: hold({ attempt: 2, ...over }), configVersion: 5, ...(throughSeq === undefined ? {} : { throughSeq }) });

  it('holds a free endpoint retrying, and parks what was queued behind', () => {
    const t = transition(undefined, failed());
    assert.deepEqual(t.next, hold());
    assert.deepEqual(t.effects, [{ kind: 'holdFailedBatch', hold: hold() }, { kind: 'parkQueued' }]);
  });

  it('a drained batch becomes the held one, out of the waiting rows; the drain stops', () => {
    const t = transition(hold({ state: 'draining', batchId: 'b0' }), failed({ batchId: 'b2' }, 17));
    assert.deepEqual(t.next, hold({ batchId: 'b2' }));
    assert.deepEqual(t.effects, [{ kind: 'holdFailedBatch', hold: hold({ batchId: 'b2' }), throughSeq: 17 }, { kind: 'dropQueued' }, { kind: 'stopDrain' }]);
  });

  it('gone or exhausted at once: dead-lettered, and what waits follows', () => {
    const t = transition(undefined, failed({ state: 'deadLettered', attempt: 1, reason: '410 Gone' }));
    assert.equal(stateOf(t.next), 'deadLettered');
    assert.equal(t.next?.configVersion, 5);
    assert.deepEqual(kinds(t.effects), ['holdFailedBatch', 'parkQueued', 'putHold', 'stopDrain', 'deadLetterWaiting']);
    const drained = transition(hold({ state: 'draining' }), failed({ state: 'deadLettered', reason: null }, 3));
    assert.deepEqual(kinds(drained.effects), ['holdFailedBatch', 'dropQueued', 'stopDrain', 'putHold', 'stopDrain', 'deadLetterWaiting']);
    assert.equal(drained.next?.reason, 'the endpoint is gone');
  });

  it('is illegal while the endpoint is held otherwise (no batch is sent then)', () => {
    for (const state of ['retrying', 'resolved', 'deadLettered'] as const) {
      const h = hold({ state });
      const t = transition(h, failed());
      assert.equal(t.next, h);
      assert.deepEqual(t.effects, []);
      assert.equal(t.illegal, `firstAttemptFailed while ${state}`);
    }
  });

  it('is illegal when a fresh batch fails during a drain, or a drained one outside it', () => {
    assert.ok(transition(hold({ state: 'draining' }), failed()).illegal);
    assert.ok(transition(undefined, failed({}, 4)).illegal);
  });
});

describe('hold machine: the drain', () => {
  const draining = hold({ state: 'draining' });

  it('queues a page that has items, and asks to release on an empty one', () => {
    assert.deepEqual(transition(draining, { kind: 'drainPageLoaded', size: 3 }).effects, [{ kind: 'queueDrainPage' }]);
    assert.deepEqual(transition(draining, { kind: 'drainPageLoaded', size: 0 }).effects, [{ kind: 'releaseIfDrained' }]);
  });

  it('frees the endpoint once released, or reads another page when something parked meanwhile', () => {
    const done = transition(draining, { kind: 'drainReleased', released: true });
    assert.equal(done.next, undefined);
    assert.deepEqual(done.effects, [{ kind: 'forgetHold' }, { kind: 'stopDrain' }]);
    const again = transition(draining, { kind: 'drainReleased', released: false });
    assert.equal(again.next, draining);
    assert.deepEqual(again.effects, [{ kind: 'loadDrainPage' }]);
  });

  it('deletes the waiting rows a drained batch settled', () => {
    assert.deepEqual(transition(draining, { kind: 'drainedBatchDone', throughSeq: 9 }).effects, [{ kind: 'deleteWaiting', throughSeq: 9 }]);
  });

  it('drain events outside a drain are illegal', () => {
    for (const h of [undefined, hold(), hold({ state: 'resolved' }), hold({ state: 'deadLettered' })]) {
      for (const event of [{ kind: 'drainPageLoaded', size: 0 }, { kind: 'drainReleased', released: true }, { kind: 'drainedBatchDone', throughSeq: 1 }] as HoldEvent[]) {
        const t = transition(h, event);
        assert.equal(t.next, h);
        assert.deepEqual(t.effects, []);
        assert.equal(t.illegal, `${event.kind} while ${stateOf(h)}`);
      }
    }
  });
});

describe('hold machine: rebalances and restarts', () => {
  it('a revoke abandons the lane and keeps the hold for the new owner, during a drain too', () => {
    for (const h of [undefined, hold(), hold({ state: 'draining' })]) {
      const t = transition(h, { kind: 'revoked' });
      assert.equal(t.next, h);
      assert.deepEqual(t.effects, [{ kind: 'abandonLane' }]);
    }
  });

  it('an assignment resumes a drain found in the table, once', () => {
    const h = hold({ state: 'draining' });
    assert.deepEqual(transition(h, { kind: 'assigned', laneDraining: false }).effects, [{ kind: 'startDrain' }]);
    assert.deepEqual(transition(h, { kind: 'assigned', laneDraining: true }).effects, []);
  });

  it('an assignment leaves other holds to their records', () => {
    for (const h of [undefined, hold(), hold({ state: 'resolved' }), hold({ state: 'deadLettered' })]) {
      const t = transition(h, { kind: 'assigned', laneDraining: false });
      assert.equal(t.next, h);
      assert.deepEqual(t.effects, []);
    }
  });

  it('a restart with a resolved hold in the table drains on the re-read retryResolved', () => {
    const h = hold({ state: 'resolved' });
    const after = transition(h, { kind: 'assigned', laneDraining: false });
    assert.equal(stateOf(transition(after.next, resolved()).next), 'draining');
  });
});

describe('hold machine: the retry chain', () => {
  it('tries a due retry only for the held batch at its attempt', () => {
    assert.deepEqual(transition(hold(), { kind: 'retryDue', batchId: 'b1', attempt: 2 }).effects, [{ kind: 'attemptRetry' }]);
    for (const [h, attempt] of [[undefined, 2], [hold({ batchId: 'b0' }), 2], [hold(), 3], [hold({ state: 'resolved' }), 2], [hold({ state: 'draining' }), 2], [hold({ state: 'deadLettered' }), 2]] as const) {
      assert.deepEqual(kinds(transition(h, { kind: 'retryDue', batchId: 'b1', attempt }).effects), ['ignore']);
    }
  });

  it('moves the attempt on when the next retry is scheduled', () => {
    const t = transition(hold(), { kind: 'retryRescheduled', batchId: 'b1', attempt: 2 });
    assert.deepEqual(t.next, hold({ attempt: 3 }));
    assert.deepEqual(t.effects, [{ kind: 'advanceAttempt', from: 2 }]);
  });

  it('marks the hold resolved once the chain wrote retryResolved', () => {
    const t = transition(hold(), { kind: 'retryFinished', batchId: 'b1', attempt: 2 });
    assert.deepEqual(t.next, hold({ state: 'resolved' }));
    assert.deepEqual(t.effects, [{ kind: 'markResolved', attempt: 2 }]);
  });

  it('chain steps on a hold that moved on are illegal', () => {
    for (const kind of ['retryRescheduled', 'retryFinished'] as const) {
      for (const h of [undefined, hold({ attempt: 3 }), hold({ state: 'draining' })]) {
        const t = transition(h, { kind, batchId: 'b1', attempt: 2 });
        assert.equal(t.next, h);
        assert.deepEqual(t.effects, []);
        assert.ok(t.illegal);
      }
    }
  });
});

describe('hold machine: an unreadable retry record', () => {
  it('releases a retrying hold: the held batch is resolved as unreadable, at its attempt', () => {
    const t = transition(hold(), { kind: 'retryUnreadable' });
    assert.equal(t.next?.state, 'resolved');
    assert.deepEqual(t.effects, [{ kind: 'releaseUnreadable', batchId: 'b1', attempt: 2 }]);
  });

  it('releases it too when what could be read names the held batch and attempt', () => {
    assert.deepEqual(kinds(transition(hold(), { kind: 'retryUnreadable', batchId: 'b1', attempt: 2 }).effects), ['releaseUnreadable']);
  });

  it('is ignored when what could be read names another batch or attempt (a stale record)', () => {
    for (const event of [{ batchId: 'b0' }, { attempt: 3 }]) {
      const h = hold();
      const t = transition(h, { kind: 'retryUnreadable', ...event });
      assert.equal(t.next, h);
      assert.deepEqual(kinds(t.effects), ['ignore']);
    }
  });

  it('is ignored when nothing waits on a retry record (free, resolved, draining, dead-lettered)', () => {
    assert.deepEqual(kinds(transition(undefined, { kind: 'retryUnreadable' }).effects), ['ignore']);
    for (const state of ['resolved', 'draining', 'deadLettered'] as const) {
      const h = hold({ state });
      assert.equal(transition(h, { kind: 'retryUnreadable' }).next, h, state);
    }
  });

  it('the lane drains on retryResolved(unreadable), as after a delivery: the endpoint is not to blame', () => {
    for (const state of ['retrying', 'resolved'] as const) {
      const t = transition(hold({ state }), resolved({ outcome: 'unreadable', reason: 'retry record unreadable' }));
      assert.equal(t.next?.state, 'draining');
      assert.deepEqual(kinds(t.effects), ['putHold', 'startDrain']);
    }
  });
});
