import type { DeliveryBatch, WebhookEvent } from '@tidings/contracts';
import { batchIdFor } from './batch-id';

/** One thing waiting in an endpoint's lane: an event, or a batch formed before (a replay). */
export type LaneItem =
  | { kind: 'event'; event: WebhookEvent; origin: string; receivedAt: number; bytes: number }
  | { kind: 'batch'; batch: DeliveryBatch; origin: string; receivedAt: number };

export interface BatchLimits {
  maxEvents: number;
  maxBytes: number;
  /**
   * How long a batch that is not full may wait for company, and only while other lanes are
   * waiting for a connection (see `waitsForCompany`): a lone event at low load goes at once.
   */
  lingerMs: number;
}

/** `bytes`: the event's JSON size, when the caller has it already. */
export function eventItem(event: WebhookEvent, origin: string, receivedAt: number, bytes = Buffer.byteLength(JSON.stringify(event))): LaneItem {
  return { kind: 'event', event, origin, receivedAt, bytes };
}

/**
 * Takes the next batch from the head of a lane: a formed batch (replay) as it is, or the
 * longest run of queued events within the limits (an event larger than maxBytes goes alone):
 * whatever is already queued is fair game, however long it waited. The id
 * comes from the first and last item's origin, so the same run always gets the same id.
 */
export function takeBatch(items: LaneItem[], limits: BatchLimits): { batch: DeliveryBatch; taken: number } | undefined {
  const head = items[0];
  if (!head) return undefined;
  if (head.kind === 'batch') return { batch: head.batch, taken: 1 };
  const events: WebhookEvent[] = [];
  let bytes = 2; // the array's brackets
  for (const item of items) {
    if (item.kind !== 'event') break;
    const added = item.bytes + (events.length > 0 ? 1 : 0);
    if (events.length > 0 && (events.length >= limits.maxEvents || bytes + added > limits.maxBytes)) break;
    events.push(item.event);
    bytes += added;
  }
  const last = items[events.length - 1]!;
  return { batch: { id: batchIdFor(`${head.origin}..${last.origin}`), events }, taken: events.length };
}

/**
 * How long a batch just formed should step aside and wait for company (0: send it now). Only
 * when the egress is backlogged (at least as many lanes wait for a connection as there are
 * connections, so a fuller batch is worth more than an early one), the batch is not full (it
 * took the whole queue, below the caps), and until its first event has waited `lingerMs`.
 * Under fan-out to thousands of endpoints this is what fills batches; at low load nothing waits.
 */
export function companyWaitMs(queue: readonly LaneItem[], taken: number, limits: BatchLimits, now: number, backlogged: boolean): number {
  const head = queue[0];
  if (!backlogged || head?.kind !== 'event') return 0;
  if (taken < queue.length || taken >= limits.maxEvents) return 0;
  return Math.max(0, limits.lingerMs - (now - head.receivedAt));
}
