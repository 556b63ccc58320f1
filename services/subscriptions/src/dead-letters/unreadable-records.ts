import { Inject, Injectable } from '@nestjs/common';
import type { KafkaConfig } from '@tidings/config';
import { deadLetterMessage, undecodableReason, type ConsumedRecord } from '@tidings/kafka';
import { KAFKA_CONFIG, KafkaProducerService } from '@tidings/kafka-nest';
import { ServiceMetrics } from '@tidings/service-runtime';
import { Counter } from 'prom-client';

/**
 * Where the subscriptions service's consumers put a record they cannot use (undecodable, or
 * refused by the database): the internal dead letters, with why and where from. The caller
 * logs it; this resolves once it is written, so the consumer moves past it only then.
 */
@Injectable()
export class UnreadableRecords {
  private readonly counter: Counter<'topic' | 'reason'>;

  constructor(
    @Inject(KAFKA_CONFIG) private readonly config: KafkaConfig,
    @Inject(KafkaProducerService) private readonly producer: KafkaProducerService,
    @Inject(ServiceMetrics) metrics: ServiceMetrics,
  ) {
    this.counter = new Counter({
      name: 'tidings_subscriptions_unreadable_records_total',
      help: 'Internal records the subscriptions service could not use, sent to the internal dead letters, by source topic and reason (not_json, invalid, refused)',
      labelNames: ['topic', 'reason'] as const,
      registers: [metrics.registry],
    });
  }

  async deadLetter(record: ConsumedRecord, reason: string, refused = false): Promise<void> {
    const code = refused ? 'refused' : undecodableReason(record);
    await this.producer.send(this.config.topics.internalDeadLetters, [deadLetterMessage(record, code, reason)]);
    this.counter.inc({ topic: record.topic, reason: code });
  }
}
