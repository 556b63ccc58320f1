import { deadLetterMessage, undecodableReason, type ConsumedRecord } from '@tidings/kafka';
import type { KafkaProducerService } from '@tidings/kafka-nest';
import type { Logger } from '@tidings/telemetry';
import type { PublisherMetrics } from './publisher-metrics';

/**
 * Where the publisher's consumers put an internal record they cannot use: the internal dead
 * letters, unchanged plus why and where from, as the trigger does for domain events.
 * Resolves once written, so the caller moves past the record only then.
 */
export class UnreadableRecords {
  constructor(
    private readonly producer: KafkaProducerService,
    private readonly topic: string,
    private readonly metrics: PublisherMetrics,
    private readonly logger: Logger,
  ) {}

  async deadLetter(record: ConsumedRecord, reason: string): Promise<void> {
    const code = undecodableReason(record);
    this.logger.error({ topic: record.topic, partition: record.partition, offset: record.offset, code, reason }, 'dead-lettering unreadable internal record');
    await this.producer.send(this.topic, [deadLetterMessage(record, code, reason)]);
    this.metrics.unreadableRecord(record.topic, code);
  }
}
