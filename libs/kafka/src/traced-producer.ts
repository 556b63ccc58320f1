import { SpanKind, context, trace, type Link } from '@opentelemetry/api';
import type { Message, Producer, RecordMetadata } from 'kafkajs';
import { KAFKA_HEADERS } from '@tidings/contracts';
import { recordFailure } from '@tidings/telemetry';
import { extractTraceContext, injectTraceContext } from './trace-context';

const tracer = trace.getTracer('@tidings/kafka');

/**
 * Produces records inside a `send <topic>` PRODUCER span and stamps each record with the W3C
 * context of that span, so the consumer's span joins the same trace. A record that already
 * carries a context (one written with an outbox row, say) keeps it, so its own trace goes on;
 * the send span links to it instead.
 */
export async function sendTraced(producer: Pick<Producer, 'send'>, topic: string, messages: Message[]): Promise<RecordMetadata[]> {
  const carried: Link[] = messages
    .filter((m) => m.headers?.[KAFKA_HEADERS.traceparent] !== undefined)
    .map((m) => ({ context: trace.getSpanContext(extractTraceContext(m.headers)) }))
    .filter((l): l is Link => l.context !== undefined);
  return tracer.startActiveSpan(
    `send ${topic}`,
    {
      kind: SpanKind.PRODUCER,
      links: carried,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        'messaging.destination.name': topic,
        'messaging.batch.message_count': messages.length,
      },
    },
    async (span) => {
      try {
        const traced = messages.map((m) => {
          const headers = { ...(m.headers ?? {}) };
          if (headers[KAFKA_HEADERS.traceparent] === undefined) injectTraceContext(headers, context.active());
          return { ...m, headers };
        });
        return await producer.send({ topic, messages: traced });
      } catch (error) {
        recordFailure(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
