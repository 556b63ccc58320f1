import { SpanStatusCode, type Span } from '@opentelemetry/api';

/**
 * Marks a span failed by `error`: an exception event (type, message, stack) and ERROR status
 * with the message. Ending the span stays with its owner.
 */
export function recordFailure(span: Span, error: unknown): void {
  const failure = error instanceof Error ? error : new Error(String(error));
  span.recordException(failure);
  span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
}
