import type { SpanContext } from '@opentelemetry/api';
import { fromTraceparent, toTraceparent } from '@tidings/telemetry';
import type { ParkedItem, WaitingItem } from '../holds/delivery-holds.repository';
import { eventItem, type LaneItem } from './batch-former';

/**
 * An item in memory, what finishing it settles (a lane record's offset, or a waiting row), and
 * the span that consumed it (its batch continues that trace, or links to it after a wait).
 */
export type QueuedItem = LaneItem & { offset?: number; seq?: number; consumedBy?: SpanContext };

export function toWaiting(item: QueuedItem): WaitingItem {
  const traceparent = item.consumedBy ? { traceparent: toTraceparent(item.consumedBy) } : {};
  return item.kind === 'event' ? { kind: 'event', event: item.event, ...traceparent } : { kind: 'batch', batch: item.batch, ...traceparent };
}

/** Waiting events were held back, not new: they are queued as of now. */
export function fromWaiting({ seq, sourceKey, item }: ParkedItem, now: number): QueuedItem {
  const consumedBy = fromTraceparent(item.traceparent);
  return item.kind === 'event' ? { ...eventItem(item.event, sourceKey, now), seq, consumedBy } : { kind: 'batch', batch: item.batch, origin: sourceKey, receivedAt: now, seq, consumedBy };
}
