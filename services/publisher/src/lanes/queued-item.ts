import type { ParkedItem, WaitingItem } from '../holds/delivery-holds.repository';
import { eventItem, type LaneItem } from './batch-former';

/**
 * An item in memory, what finishing it settles (a lane record's offset, or a waiting row), and
 * the span that consumed it, as a W3C traceparent (its batch continues that trace, or links to
 * it after a wait). A string rather than the SpanContext: the context's ids are slices that keep
 * the record's whole traceparent header alive beside it (issue 16: a lane may hold thousands).
 */
export type QueuedItem = LaneItem & { offset?: number; seq?: number; consumedBy?: string };

export function toWaiting(item: QueuedItem): WaitingItem {
  const traceparent = item.consumedBy ? { traceparent: item.consumedBy } : {};
  return item.kind === 'event' ? { kind: 'event', event: item.event, ...traceparent } : { kind: 'batch', batch: item.batch, ...traceparent };
}

/** Waiting events were held back, not new: they are queued as of now. */
export function fromWaiting({ seq, sourceKey, item }: ParkedItem, now: number): QueuedItem {
  const consumedBy = item.traceparent ?? undefined;
  return item.kind === 'event' ? { ...eventItem(item.event, sourceKey, now), seq, consumedBy } : { kind: 'batch', batch: item.batch, origin: sourceKey, receivedAt: now, seq, consumedBy };
}
