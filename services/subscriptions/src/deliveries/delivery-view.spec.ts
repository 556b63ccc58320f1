import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeliveryAttemptEntity } from './delivery-attempt.entity';
import { toDeliveryView, type DeadLetterSummary } from './delivery-view';

const at = (minute: number) => new Date(Date.UTC(2025, 10, 20, 10, minute));

function attempt(n: number, minute: number, outcome: 'delivered' | 'failed', nextMinute: number | null = null): DeliveryAttemptEntity {
  return {
    batchId: 'b1',
    attempt: n,
    endpointId: '00000000-0000-4000-8000-000000000001',
    tailnet: 'example.com',
    outcome,
    status: outcome === 'delivered' ? 200 : 500,
    reason: outcome === 'delivered' ? null : 'HTTP 500',
    latencyMs: 12.5,
    attemptedAt: at(minute),
    eventIds: ['e1', 'e2'],
    nextAttemptAt: nextMinute === null ? null : at(nextMinute),
  };
}

const deadLetter = (minute: number, replayedMinute: number | null = null): DeadLetterSummary => ({
  cause: 'exhausted',
  reason: 'retry schedule exhausted',
  deadLetteredAt: at(minute),
  replayedAt: replayedMinute === null ? null : at(replayedMinute),
  eventIds: ['e1', 'e2'],
});

describe('toDeliveryView', () => {
  it('is delivered when the last attempt delivered, after failures', () => {
    const view = toDeliveryView('b1', [attempt(1, 0, 'failed', 1), attempt(2, 1, 'delivered')], null);
    assert.equal(view.state, 'delivered');
    assert.deepEqual(view.attempts.map((a) => [a.attempt, a.outcome, a.status]), [[1, 'failed', 500], [2, 'delivered', 200]]);
    assert.equal(view.lastAttemptAt, at(1).toISOString());
    assert.equal(view.nextAttemptAt, null);
    assert.equal(view.deadLetter, null);
    assert.deepEqual(view.eventIds, ['e1', 'e2']);
  });

  it('is retrying while the last attempt failed with another due, and shows when', () => {
    const view = toDeliveryView('b1', [attempt(1, 0, 'failed', 60)], null);
    assert.equal(view.state, 'retrying');
    assert.equal(view.nextAttemptAt, at(60).toISOString());
    assert.equal(view.attempts[0]!.nextAttemptAt, at(60).toISOString());
  });

  it('is failed when the last attempt failed, none is due, and it is not dead-lettered', () => {
    const view = toDeliveryView('b1', [attempt(1, 0, 'failed', 1), attempt(2, 1, 'failed')], null);
    assert.equal(view.state, 'failed');
    assert.equal(view.nextAttemptAt, null);
  });

  it('is dead-lettered after its last attempt, with the dead letter shown', () => {
    const view = toDeliveryView('b1', [attempt(1, 0, 'failed')], deadLetter(2));
    assert.equal(view.state, 'deadLettered');
    assert.deepEqual(view.deadLetter, { cause: 'exhausted', reason: 'retry schedule exhausted', deadLetteredAt: at(2).toISOString(), replayedAt: null });
  });

  it('is dead-lettered without any attempt, its event ids from the dead letter', () => {
    const view = toDeliveryView('b1', [], { ...deadLetter(2), cause: 'endpointDisabled', eventIds: ['e9'] });
    assert.equal(view.state, 'deadLettered');
    assert.deepEqual(view.attempts, []);
    assert.deepEqual(view.eventIds, ['e9']);
    assert.equal(view.lastAttemptAt, null);
  });

  it('follows a replay: attempts after the dead-lettering tell the state', () => {
    assert.equal(toDeliveryView('b1', [attempt(1, 0, 'failed'), attempt(2, 5, 'delivered')], deadLetter(2, 4)).state, 'delivered');
    assert.equal(toDeliveryView('b1', [attempt(1, 0, 'failed'), attempt(2, 5, 'failed', 65)], deadLetter(2, 4)).state, 'retrying');
    const replayed = toDeliveryView('b1', [attempt(1, 0, 'failed')], deadLetter(2, 4));
    assert.equal(replayed.state, 'deadLettered', 'replay requested, no attempt yet');
    assert.equal(replayed.deadLetter?.replayedAt, at(4).toISOString());
  });
});
