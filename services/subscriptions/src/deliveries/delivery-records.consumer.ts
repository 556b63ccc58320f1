import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { KafkaConfig } from '@tidings/config';
import { deadLetterRecordSchema, deliveryAttemptRecordSchema, resolveConsumer, type ResolvedConsumer } from '@tidings/contracts';
import { ManagedConsumer, type ConsumedRecord } from '@tidings/kafka';
import { KAFKA_CLIENT, KAFKA_CONFIG, SERVICE_LOGGER } from '@tidings/kafka-nest';
import type { Logger } from '@tidings/telemetry';
import type { Kafka } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import type { z } from 'zod';
import { isRejectedValue } from '../database/postgres-errors';
import { UnreadableRecords, whereOf } from '../dead-letters/unreadable-records';
import { projectAttempts, projectDeadLetter } from './delivery-projector';

/**
 * Projects the publisher's delivery attempts and dead letters into the tables behind the
 * deliveries API. An unreadable record, or one Postgres refuses, is logged and moved to the
 * internal dead letters: it
 * would fail the same way on every retry, and must not hold up the records behind it.
 */
@Injectable()
export class DeliveryRecordsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly declared: ResolvedConsumer;
  private readonly consumer: ManagedConsumer;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    @Inject(KAFKA_CONFIG) config: KafkaConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(UnreadableRecords) private readonly unreadable: UnreadableRecords,
  ) {
    this.declared = resolveConsumer('subscriptionsDeliveries', config);
    this.consumer = new ManagedConsumer(kafka, {
      declared: this.declared,
      logger,
      batchHandlers: {
        [config.topics.deliveryAttempts]: (records) => this.projectAll(records, deliveryAttemptRecordSchema, projectAttempts),
        [config.topics.webhookDeadLetters]: (records) => this.projectEach(records, deadLetterRecordSchema, projectDeadLetter),
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }

  /** A fetched batch in one write; if Postgres refuses it, record by record, to skip only the bad one. */
  private async projectAll<S extends z.ZodType>(records: ConsumedRecord[], schema: S, write: (manager: EntityManager, values: z.output<S>[]) => Promise<void>): Promise<void> {
    const readable = await this.unreadable.decodeAll(records, schema, 'delivery record', this.logger);
    try {
      await write(this.dataSource.manager, readable.map((r) => r.value));
    } catch (error) {
      if (!isRejectedValue(error)) throw error;
      for (const r of readable) await this.write(r.record, () => write(this.dataSource.manager, [r.value]));
    }
  }

  private async projectEach<S extends z.ZodType>(records: ConsumedRecord[], schema: S, write: (manager: EntityManager, value: z.output<S>) => Promise<void>): Promise<void> {
    for (const r of await this.unreadable.decodeAll(records, schema, 'delivery record', this.logger)) await this.write(r.record, () => write(this.dataSource.manager, r.value));
  }

  private async write(record: ConsumedRecord, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (!isRejectedValue(error)) throw error;
      this.logger.error({ ...whereOf(record), reason: error.message }, 'skipping delivery record the database refused');
      await this.unreadable.deadLetter(record, error.message, true);
    }
  }
}
