import { propagation } from '@opentelemetry/api';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { headerValue } from './trace-context';
import type { z } from 'zod';

/** A consumed record, decoupled from kafkajs' batch types. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: IHeaders;
  timestamp: string;
}

export function toConsumedRecord(topic: string, partition: number, message: KafkaMessage): ConsumedRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? null,
    value: message.value,
    headers: message.headers ?? {},
    timestamp: message.timestamp,
  };
}

/**
 * The record as work that waits should hold it: no value, and of its headers only the trace
 * context's, as strings. kafkajs hands out the value and every header as views into the fetch
 * response, so one waiting record keeps a whole fetch's buffer alive, and each header view
 * costs about 100 bytes of heap (issue 16: the publisher's lanes hold tens of thousands).
 */
export function detachRecord(record: ConsumedRecord): ConsumedRecord {
  const headers: Record<string, string> = {};
  for (const name of propagation.fields()) {
    const value = headerValue(record.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  return { topic: record.topic, partition: record.partition, offset: record.offset, key: record.key, value: null, headers, timestamp: record.timestamp };
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Reads a record's value as JSON and validates it against a contract schema. */
export function decodeJsonRecord<S extends z.ZodType>(record: ConsumedRecord, schema: S): Decoded<z.output<S>> {
  let json: unknown;
  try {
    json = JSON.parse(record.value?.toString('utf8') ?? 'null');
  } catch {
    return { ok: false, reason: 'the record value is not JSON' };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; ') };
}
