import type { DeliveryBatch, WebhookEvent } from '@tidings/contracts';
import { batchIdFor } from './batch-id';

/** One thing waiting in an endpoint's lane: an event, or a batch formed before (a replay). */
export type LaneItem =
  | { kind: 'event'; event: WebhookEvent; origin: string; receivedAt: number; bytes: number }
  | { kind: 'batch'; batch: DeliveryBatch; origin: string; receivedAt: number };

export interface BatchLimits {
  maxEvents: number;
  maxBytes: number;
  /** A batch takes only events that arrived within this long of its first. */
  lingerMs: number;
}

export function eventItem(event: WebhookEvent, origin: string, receivedAt: number): LaneItem {
  return { kind: 'event', event, origin, receivedAt, bytes: Buffer.byteLength(JSON.stringify(event)) };
}

/**
 * Takes the next batch from the head of a lane: a formed batch (replay) as it is, or the
 * longest run of events within the limits (an event larger than maxBytes goes alone). The id
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
    if (item.receivedAt - head.receivedAt > limits.lingerMs) break;
    const added = item.bytes + (events.length > 0 ? 1 : 0);
    if (events.length > 0 && (events.length >= limits.maxEvents || bytes + added > limits.maxBytes)) break;
    events.push(item.event);
    bytes += added;
  }
  const last = items[events.length - 1]!;
  return { batch: { id: batchIdFor(`${head.origin}..${last.origin}`), events }, taken: events.length };
}
