import type { DeliveryHold } from './delivery-holds.repository';

/**
 * The life of an endpoint's hold, as one pure function. The state is the endpoint's hold row
 * (`undefined`: not held, deliveries go straight out); an event is something the lane or the
 * retry chain saw; the answer is the next hold and the effects, as data, that the caller
 * carries out in order. No I/O here, so every transition, including those a crash or a
 * rebalance interleaves, is a unit test.
 *
 *   free ──firstAttemptFailed──▶ retrying ──retryRescheduled──▶ retrying
 *     ▲                            │ retryFinished (chain wrote retryResolved)
 *     │                            ▼
 *     │                         resolved ──retryResolved(delivered)──▶ draining ──drainReleased──▶ free
 *     │                            │ retryResolved(endpointGone) ──▶ free (waiting items discarded)
 *     │                            │ retryResolved(deadLettered) ──▶ deadLettered (waiting dead-lettered)
 *     └──payloadArrived(enabled again, newer config)── deadLettered
 *   retrying ──retryUnreadable──▶ resolved ──retryResolved(unreadable)──▶ draining (as delivered)
 *
 * The lane reads `retryResolved` while the hold is `retrying` too: the chain writes the record
 * before it marks the row, and a crash between the two leaves it `retrying`.
 *
 * An unreadable retry record (key: the endpoint) releases a `retrying` hold unless what can be
 * read of it names another batch or attempt: the batch it carried is lost to the chain (it is
 * on the internal dead letters for an operator), and the endpoint, which did nothing wrong,
 * is neither disabled nor kept waiting on a record that will never be read.
 */
export type HoldStateName = 'free' | DeliveryHold['state'];

export const stateOf = (hold: DeliveryHold | undefined): HoldStateName => hold?.state ?? 'free';

/** What the lane knows of the endpoint when a payload arrives (`undefined`: deleted). */
export interface EndpointView {
  enabled: boolean;
  version: number;
  disabledReason: string | null;
}

export type HoldEvent =
  /** An event, batch or replay for the endpoint, read from its lane. */
  | { kind: 'payloadArrived'; endpoint: EndpointView | undefined }
  /** The retry chain finished with the held batch; `configVersion` is the endpoint's now (0 if deleted). */
  | { kind: 'retryResolved'; batchId: string; outcome: 'delivered' | 'deadLettered' | 'endpointGone' | 'unreadable'; reason: string | null; configVersion: number }
  /** A batch this lane sent failed (fresh, or drained with `throughSeq`); `hold` is the hold it becomes. */
  | { kind: 'firstAttemptFailed'; hold: DeliveryHold; throughSeq?: number; configVersion: number }
  /** A drained batch was delivered, or dropped with its endpoint: its waiting rows are done. */
  | { kind: 'drainedBatchDone'; throughSeq: number }
  /** A page of waiting items was read (`size` 0: nothing waits, as far as that read saw). */
  | { kind: 'drainPageLoaded'; size: number }
  /** The attempt to delete the drained hold: false when something parked meanwhile. */
  | { kind: 'drainReleased'; released: boolean }
  /** The lane's partition is (again) ours after an assignment; `hold` is the row as read. */
  | { kind: 'assigned'; laneDraining: boolean }
  /** The lane's partition went to another instance (or is read again after a failure). */
  | { kind: 'revoked' }
  /** Retry chain: a retry record for the batch at `attempt` is due. */
  | { kind: 'retryDue'; batchId: string; attempt: number }
  /** Retry chain: the attempt failed and the next one is scheduled. */
  | { kind: 'retryRescheduled'; batchId: string; attempt: number }
  /** Retry chain: it wrote the retryResolved record for the batch. */
  | { kind: 'retryFinished'; batchId: string; attempt: number }
  /** Retry chain: a retry record keyed by the endpoint could not be read; what of it could (batch, attempt). */
  | { kind: 'retryUnreadable'; batchId?: string; attempt?: number };

export type HoldEffect =
  /** Queue the payload on the lane and send it. */
  | { kind: 'deliver' }
  /** Park the payload in the waiting table, behind the held batch. */
  | { kind: 'park'; behind: string }
  | { kind: 'deadLetterPayload'; reason: string }
  | { kind: 'dropPayload' }
  /** Write the hold row (and keep the lane's copy in step). */
  | { kind: 'putHold'; hold: DeliveryHold }
  | { kind: 'deleteHold' }
  /** The row is gone already (a drain released it): the lane's copy follows. */
  | { kind: 'forgetHold' }
  /** The failed batch becomes the held one; a drained batch also leaves the waiting rows through `throughSeq`. */
  | { kind: 'holdFailedBatch'; hold: DeliveryHold; throughSeq?: number }
  /** What the lane had queued behind the failed batch moves to the waiting table. */
  | { kind: 'parkQueued' }
  /** What the lane had queued came from the waiting table, and stays there. */
  | { kind: 'dropQueued' }
  | { kind: 'startDrain' }
  | { kind: 'stopDrain' }
  | { kind: 'loadDrainPage' }
  | { kind: 'queueDrainPage' }
  | { kind: 'releaseIfDrained' }
  | { kind: 'deleteWaiting'; throughSeq: number }
  | { kind: 'discardWaiting' }
  | { kind: 'deadLetterWaiting'; batchId: string; reason: string }
  /** Forget the lane: its outcome in flight is not acted on, the new owner takes over. */
  | { kind: 'abandonLane' }
  | { kind: 'attemptRetry' }
  | { kind: 'advanceAttempt'; from: number }
  | { kind: 'markResolved'; attempt: number }
  /** Write retryResolved(unreadable) for the held batch on the lane, then mark the row resolved. */
  | { kind: 'releaseUnreadable'; batchId: string; attempt: number }
  /** Nothing to do, and why (a duplicate or stale record). */
  | { kind: 'ignore'; why: string };

/** `illegal`: the event cannot happen in this state; the hold is left as it was and nothing is done. */
export interface Transition {
  next: DeliveryHold | undefined;
  effects: HoldEffect[];
  illegal?: string;
}

const to = (next: DeliveryHold | undefined, ...effects: HoldEffect[]): Transition => ({ next, effects });
const illegal = (hold: DeliveryHold | undefined, event: HoldEvent): Transition => ({ next: hold, effects: [], illegal: `${event.kind} while ${stateOf(hold)}` });
const isHeld = (s: HoldStateName): boolean => s === 'retrying' || s === 'resolved' || s === 'draining';

export function transition(hold: DeliveryHold | undefined, event: HoldEvent): Transition {
  const state = stateOf(hold);
  switch (event.kind) {
    case 'payloadArrived':
      return onPayload(hold, event.endpoint);
    case 'retryResolved': {
      if (!hold || hold.batchId !== event.batchId || (state !== 'retrying' && state !== 'resolved')) {
        return to(hold, { kind: 'ignore', why: 'a duplicate, or about a batch this lane has moved past' });
      }
      if (event.outcome === 'delivered' || event.outcome === 'unreadable') {
        const draining: DeliveryHold = { ...hold, state: 'draining' };
        return to(draining, { kind: 'putHold', hold: draining }, { kind: 'startDrain' });
      }
      if (event.outcome === 'endpointGone') return to(undefined, { kind: 'discardWaiting' }, { kind: 'deleteHold' });
      return deadLettered(hold, hold.batchId, hold.attempt, event.reason ?? 'retries exhausted', event.configVersion);
    }
    case 'firstAttemptFailed': {
      // A batch is sent only while the endpoint is free or draining; anything else is a lost update.
      if (state !== 'free' && state !== 'draining') return illegal(hold, event);
      const drained = state === 'draining';
      if (drained !== (event.throughSeq !== undefined)) return illegal(hold, event);
      const held: HoldEffect[] = [{ kind: 'holdFailedBatch', hold: event.hold, ...(drained ? { throughSeq: event.throughSeq } : {}) }, drained ? { kind: 'dropQueued' } : { kind: 'parkQueued' }];
      if (drained) held.push({ kind: 'stopDrain' });
      if (event.hold.state !== 'deadLettered') return to(event.hold, ...held);
      const after = deadLettered(event.hold, event.hold.batchId, event.hold.attempt, event.hold.reason ?? 'the endpoint is gone', event.configVersion);
      return to(after.next, ...held, ...after.effects);
    }
    case 'drainedBatchDone':
      return state === 'draining' ? to(hold, { kind: 'deleteWaiting', throughSeq: event.throughSeq }) : illegal(hold, event);
    case 'drainPageLoaded':
      if (state !== 'draining') return illegal(hold, event);
      return to(hold, event.size > 0 ? { kind: 'queueDrainPage' } : { kind: 'releaseIfDrained' });
    case 'drainReleased':
      if (state !== 'draining') return illegal(hold, event);
      return event.released ? to(undefined, { kind: 'forgetHold' }, { kind: 'stopDrain' }) : to(hold, { kind: 'loadDrainPage' });
    case 'assigned':
      // A drain under way when the last owner stopped resumes here; other holds wait for their record.
      return state === 'draining' && !event.laneDraining ? to(hold, { kind: 'startDrain' }) : to(hold);
    case 'revoked':
      // The row stays: the partition's new owner reads it on its assignment.
      return to(hold, { kind: 'abandonLane' });
    case 'retryDue':
      if (!hold || state !== 'retrying' || hold.batchId !== event.batchId || hold.attempt !== event.attempt) {
        return to(hold, { kind: 'ignore', why: 'stale retry record' });
      }
      return to(hold, { kind: 'attemptRetry' });
    case 'retryRescheduled':
      if (!hold || state !== 'retrying' || hold.batchId !== event.batchId || hold.attempt !== event.attempt) return illegal(hold, event);
      return to({ ...hold, attempt: event.attempt + 1 }, { kind: 'advanceAttempt', from: event.attempt });
    case 'retryFinished':
      if (!hold || state !== 'retrying' || hold.batchId !== event.batchId || hold.attempt !== event.attempt) return illegal(hold, event);
      return to({ ...hold, state: 'resolved' }, { kind: 'markResolved', attempt: event.attempt });
    case 'retryUnreadable':
      if (!hold || state !== 'retrying') return to(hold, { kind: 'ignore', why: 'no hold waits on a retry record' });
      if ((event.batchId !== undefined && event.batchId !== hold.batchId) || (event.attempt !== undefined && event.attempt !== hold.attempt)) {
        return to(hold, { kind: 'ignore', why: 'stale retry record' });
      }
      return to({ ...hold, state: 'resolved' }, { kind: 'releaseUnreadable', batchId: hold.batchId, attempt: hold.attempt });
  }
}

function onPayload(hold: DeliveryHold | undefined, endpoint: EndpointView | undefined): Transition {
  if (hold?.state === 'deadLettered') {
    // Enabled again since the chain gave up: deliver from here on.
    if (endpoint?.enabled && endpoint.version > hold.configVersion) return to(undefined, { kind: 'deleteHold' }, { kind: 'deliver' });
    return to(hold, { kind: 'deadLetterPayload', reason: `endpoint disabled after failed deliveries: ${hold.reason ?? 'see earlier dead letters'}` });
  }
  if (!endpoint) return to(hold, { kind: 'dropPayload' });
  if (!endpoint.enabled) return to(hold, { kind: 'deadLetterPayload', reason: `endpoint disabled: ${endpoint.disabledReason ?? 'no reason given'}` });
  if (hold && isHeld(hold.state)) return to(hold, { kind: 'park', behind: hold.batchId });
  return to(hold, { kind: 'deliver' });
}

/** The chain gave up: the hold says so, and everything waiting follows the batch to the dead letters. */
function deadLettered(hold: DeliveryHold, batchId: string, attempt: number, reason: string, configVersion: number): Transition {
  const next: DeliveryHold = { ...hold, batchId, attempt, state: 'deadLettered', configVersion, reason };
  return to(next, { kind: 'putHold', hold: next }, { kind: 'stopDrain' }, { kind: 'deadLetterWaiting', batchId, reason: `waited behind batch ${batchId}, which was dead-lettered: ${reason}` });
}
