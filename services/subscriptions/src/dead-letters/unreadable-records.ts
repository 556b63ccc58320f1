import { Inject, Injectable } from '@nestjs/common';
import type { KafkaConfig } from '@tidings/config';
import { deadLetterMessage, decodeJsonRecord, undecodableReason, type ConsumedRecord } from '@tidings/kafka';
import { KAFKA_CONFIG, KafkaProducerService } from '@tidings/kafka-nest';
import { ServiceMetrics } from '@tidings/service-runtime';
import type { Logger } from '@tidings/telemetry';
import { Counter } from 'prom-client';
import type { z } from 'zod';

/** A record of a fetched batch that decoded, with its value. */
export interface Readable<T> {
  record: ConsumedRecord;
  value: T;
}

/** Where a record is, for the log line that names it. */
export const whereOf = (record: ConsumedRecord) => ({ topic: record.topic, partition: record.partition, offset: record.offset, key: record.key });

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

  /**
   * The records of a fetched batch that decode against `schema`, in order; each other one is
   * logged (`skipping unreadable <what>: <reason>`) and dead-lettered before this resolves.
   */
  async decodeAll<S extends z.ZodType>(records: ConsumedRecord[], schema: S, what: string, logger: Logger): Promise<Readable<z.output<S>>[]> {
    const readable: Readable<z.output<S>>[] = [];
    for (const record of records) {
      const decoded = decodeJsonRecord(record, schema);
      if (decoded.ok) {
        readable.push({ record, value: decoded.value });
        continue;
      }
      logger.error({ ...whereOf(record), reason: decoded.reason }, `skipping unreadable ${what}`);
      await this.deadLetter(record, decoded.reason);
    }
    return readable;
  }

  async deadLetter(record: ConsumedRecord, reason: string, refused = false): Promise<void> {
    const code = refused ? 'refused' : undecodableReason(record);
    await this.producer.send(this.config.topics.internalDeadLetters, [deadLetterMessage(record, code, reason)]);
    this.counter.inc({ topic: record.topic, reason: code });
  }
}
