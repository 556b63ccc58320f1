import { ROOT_CONTEXT, SpanKind, context, trace, type Attributes, type Context, type Link, type Span } from '@opentelemetry/api';
import type { ConsumedRecord } from './consumed-record';
import { extractTraceContext } from './trace-context';

/**
 * Kafka spans named and attributed per the OpenTelemetry messaging semantic conventions:
 * `<operation> <destination>` with `messaging.*` attributes. One place, so every hop reads alike.
 */
const tracer = trace.getTracer('@tidings/kafka');

/** At most this many links on one span (a batch of hundreds links to a sample of its records). */
export const MAX_SPAN_LINKS = 128;

export interface ProcessSpanOptions {
  groupId: string;
  /**
   * Start a new trace linked to the producer's span instead of continuing it. A retry due an
   * hour later is its own trace (no trace runs for a day), linked back to where it came from.
   */
  newTrace?: boolean;
  links?: Link[];
  attributes?: Attributes;
  /** When processing began (epoch ms), if before the span is started: a record that waited its turn. */
  startTime?: number;
}

/** A CONSUMER `process <topic>` span for one record, child of (or linked to) its producer. */
export function startProcessSpan(record: ConsumedRecord, options: ProcessSpanOptions): Span {
  const producer = extractTraceContext(record.headers);
  const producerSpan = trace.getSpanContext(producer);
  const links = [...(options.links ?? []), ...(options.newTrace && producerSpan ? [{ context: producerSpan }] : [])];
  return tracer.startSpan(
    `process ${record.topic}`,
    {
      kind: SpanKind.CONSUMER,
      root: options.newTrace === true,
      links,
      ...(options.startTime === undefined ? {} : { startTime: options.startTime }),
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.destination.name': record.topic,
        'messaging.destination.partition.id': String(record.partition),
        'messaging.consumer.group.name': options.groupId,
        'messaging.kafka.offset': Number(record.offset),
        ...(record.key === null ? {} : { 'messaging.kafka.message.key': record.key }),
        ...options.attributes,
      },
    },
    options.newTrace ? ROOT_CONTEXT : producer,
  );
}

/**
 * A CONSUMER `process <topic>` span for a batch of one partition handled as a unit: its own
 * trace (its records came from many), linked to a sample of the records' producers.
 */
export function startBatchProcessSpan(records: ConsumedRecord[], options: Pick<ProcessSpanOptions, 'groupId' | 'attributes'>): Span {
  const [first] = records;
  if (!first) throw new Error('a batch span needs at least one record');
  const links: Link[] = [];
  for (const record of records) {
    if (links.length >= MAX_SPAN_LINKS) break;
    const producer = trace.getSpanContext(extractTraceContext(record.headers));
    if (producer) links.push({ context: producer });
  }
  return tracer.startSpan(
    `process ${first.topic}`,
    {
      kind: SpanKind.CONSUMER,
      root: true,
      links,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.destination.name': first.topic,
        'messaging.destination.partition.id': String(first.partition),
        'messaging.consumer.group.name': options.groupId,
        'messaging.batch.message_count': records.length,
        ...options.attributes,
      },
    },
    ROOT_CONTEXT,
  );
}

/**
 * A PRODUCER `create <topic>` span: the context stamped on records made now and sent later
 * (in a transaction with others), so each record's consumer continues this trace.
 */
export function startCreateSpan(topic: string, messageCount: number, parent: Context = context.active()): Span {
  return tracer.startSpan(
    `create ${topic}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'create',
        'messaging.operation.name': 'create',
        'messaging.destination.name': topic,
        'messaging.batch.message_count': messageCount,
      },
    },
    parent,
  );
}

/**
 * A PRODUCER `send` span for records created elsewhere: its own trace, linked to the records'
 * creation contexts (the messaging conventions' shape for batched sends).
 */
export function startSendSpan(topics: string[], messageCount: number, links: Link[]): Span {
  return tracer.startSpan(
    topics.length === 1 ? `send ${topics[0]}` : 'send',
    {
      kind: SpanKind.PRODUCER,
      root: true,
      links: links.slice(0, MAX_SPAN_LINKS),
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        ...(topics.length === 1 ? { 'messaging.destination.name': topics[0] } : {}),
        'messaging.batch.message_count': messageCount,
      },
    },
  );
}
