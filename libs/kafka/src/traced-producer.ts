import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Message, Producer, RecordMetadata } from 'kafkajs';
import { injectTraceContext } from './trace-context';

const tracer = trace.getTracer('@tidings/kafka');

/**
 * Produces records inside a `send <topic>` PRODUCER span and stamps each record with the
 * W3C context of that span, so the consumer's span joins the same trace.
 */
export async function sendTraced(producer: Pick<Producer, 'send'>, topic: string, messages: Message[]): Promise<RecordMetadata[]> {
  return tracer.startActiveSpan(
    `send ${topic}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.destination.name': topic,
        'messaging.batch.message_count': messages.length,
      },
    },
    async (span) => {
      try {
        const traced = messages.map((m) => ({ ...m, headers: injectTraceContext({ ...(m.headers ?? {}) }, context.active()) }));
        return await producer.send({ topic, messages: traced });
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
