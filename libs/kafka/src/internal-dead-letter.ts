import { KAFKA_HEADERS } from '@tidings/contracts';
import type { ConsumedRecord } from './consumed-record';

/** `not_json`: the value does not parse; `invalid`: not the contract; `refused`: the database would not take it. */
export type UnreadableReason = 'not_json' | 'invalid' | 'refused';

/** Why a record did not decode: its value is not JSON, or it is JSON but not the contract. */
export function undecodableReason(record: ConsumedRecord): Exclude<UnreadableReason, 'refused'> {
  try {
    JSON.parse(record.value?.toString('utf8') ?? 'null');
    return 'invalid';
  } catch {
    return 'not_json';
  }
}

/**
 * A record as received (key, value, headers), plus why and where it came from: what every
 * dead-letter topic carries, the trigger's `<domain topic>.dlq` and the internal dead letters.
 */
export function deadLetterMessage(record: ConsumedRecord, code: string, reason: string): Pick<ConsumedRecord, 'key' | 'value' | 'headers'> {
  return {
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [KAFKA_HEADERS.dlqReason]: reason,
      [KAFKA_HEADERS.dlqReasonCode]: code,
      [KAFKA_HEADERS.dlqSourceTopic]: record.topic,
      [KAFKA_HEADERS.dlqSourcePartition]: String(record.partition),
      [KAFKA_HEADERS.dlqSourceOffset]: record.offset,
    },
  };
}
