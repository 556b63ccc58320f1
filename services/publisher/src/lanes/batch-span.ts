import { ROOT_CONTEXT, trace, type Link, type Span } from '@opentelemetry/api';
import type { DeliveryBatch } from '@tidings/contracts';
import { MAX_SPAN_LINKS } from '@tidings/kafka';
import { fromTraceparent } from '@tidings/telemetry';
import type { QueuedItem } from './queued-item';

const tracer = trace.getTracer('tidings-publisher');

/**
 * A batch fresh from the topic continues its first event's trace (linking the others'); one
 * that waited behind a retry starts a new trace linked to where its events came from.
 */
export function startBatchSpan(endpointId: string, batch: DeliveryBatch, taken: QueuedItem[]): Span {
  const [first] = taken;
  const parent = first?.seq === undefined ? fromTraceparent(first?.consumedBy) : undefined;
  const fresh = parent !== undefined;
  const links: Link[] = taken.slice(fresh ? 1 : 0, MAX_SPAN_LINKS).flatMap((i) => {
    const context = fromTraceparent(i.consumedBy);
    return context ? [{ context }] : [];
  });
  return tracer.startSpan(
    'deliver batch',
    {
      root: !fresh,
      links,
      attributes: {
        'tidings.endpoint.id': endpointId,
        'tidings.batch.id': batch.id,
        'tidings.batch.event_count': batch.events.length,
        'tidings.batch.drained': first?.seq !== undefined,
      },
    },
    parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT,
  );
}
