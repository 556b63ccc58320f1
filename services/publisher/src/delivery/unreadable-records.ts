import { KAFKA_HEADERS } from '@tidings/contracts';
import type { ConsumedRecord } from '@tidings/kafka';
import type { KafkaProducerService } from '@tidings/kafka-nest';
import type { Logger } from '@tidings/telemetry';
import type { PublisherMetrics } from './publisher-metrics';

/** `not_json`: the value does not parse; `invalid`: it parses but is not the contract. */
export type UnreadableReason = 'not_json' | 'invalid';

export const unreadableReason = (record: ConsumedRecord): UnreadableReason => {
  try {
    JSON.parse(record.value?.toString('utf8') ?? 'null');
    return 'invalid';
  } catch {
    return 'not_json';
  }
};

/**
 * Where the publisher's consumers put an internal record they cannot use: the internal dead
 * letters, unchanged (key, value, headers) plus why and where from, as the trigger does for
 * domain events. Resolves once written, so the caller moves past the record only then.
 */
export class UnreadableRecords {
  constructor(
    private readonly producer: KafkaProducerService,
    private readonly topic: string,
    private readonly metrics: PublisherMetrics,
    private readonly logger: Logger,
  ) {}

  async deadLetter(record: ConsumedRecord, reason: string): Promise<void> {
    const code = unreadableReason(record);
    this.logger.error({ topic: record.topic, partition: record.partition, offset: record.offset, code, reason }, 'dead-lettering unreadable internal record');
    await this.producer.send(this.topic, [
      {
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
      },
    ]);
    this.metrics.unreadableRecord(record.topic, code);
  }
}
