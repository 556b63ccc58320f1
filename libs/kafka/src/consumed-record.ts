import type { IHeaders, KafkaMessage } from 'kafkajs';
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
