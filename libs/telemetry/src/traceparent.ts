import { isSpanContextValid, type SpanContext } from '@opentelemetry/api';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * A span's W3C `traceparent`, for keeping a reference to it in a record that outlives the
 * trace (a retry an hour later links back to the attempt that failed).
 */
export function toTraceparent(span: SpanContext): string {
  return `00-${span.traceId}-${span.spanId}-${span.traceFlags.toString(16).padStart(2, '0')}`;
}

/** The span a stored `traceparent` names, or undefined when it is absent or malformed. */
export function fromTraceparent(value: string | null | undefined): SpanContext | undefined {
  const m = value ? TRACEPARENT.exec(value) : null;
  if (!m) return undefined;
  const span: SpanContext = { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), isRemote: true };
  return isSpanContextValid(span) ? span : undefined;
}
