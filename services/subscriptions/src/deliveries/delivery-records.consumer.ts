import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { KafkaConfig } from '@tidings/config';
import { CONSUMER_GROUPS, deadLetterRecordSchema, deliveryAttemptRecordSchema } from '@tidings/contracts';
import { decodeJsonRecord, ManagedConsumer, type ConsumedRecord } from '@tidings/kafka';
import { KAFKA_CLIENT, KAFKA_CONFIG, SERVICE_LOGGER } from '@tidings/kafka-nest';
import type { Logger } from '@tidings/telemetry';
import type { Kafka } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import type { z } from 'zod';
import { isRejectedValue } from '../database/postgres-errors';
import { projectAttempt, projectDeadLetter } from './delivery-projector';

/**
 * Projects the publisher's delivery attempts and dead letters into the tables behind the
 * deliveries API. An unreadable record, or one Postgres refuses, is logged and skipped: it
 * would fail the same way on every retry, and must not hold up the records behind it.
 */
@Injectable()
export class DeliveryRecordsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private consumer: ManagedConsumer | undefined;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(KAFKA_CONFIG) private readonly config: KafkaConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = new ManagedConsumer(this.kafka, {
      groupId: `${this.config.prefix}${CONSUMER_GROUPS.subscriptionsDeliveries}`,
      logger: this.logger,
      handlers: {
        [this.config.topics.deliveryAttempts]: (record) => this.project(record, deliveryAttemptRecordSchema, projectAttempt),
        [this.config.topics.webhookDeadLetters]: (record) => this.project(record, deadLetterRecordSchema, projectDeadLetter),
      },
    });
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  private async project<S extends z.ZodType>(record: ConsumedRecord, schema: S, write: (manager: EntityManager, value: z.output<S>) => Promise<void>): Promise<void> {
    const where = { topic: record.topic, partition: record.partition, offset: record.offset, key: record.key };
    const decoded = decodeJsonRecord(record, schema);
    if (!decoded.ok) {
      this.logger.error({ ...where, reason: decoded.reason }, 'skipping unreadable delivery record');
      return;
    }
    try {
      await write(this.dataSource.manager, decoded.value);
    } catch (error) {
      if (!isRejectedValue(error)) throw error;
      this.logger.error({ ...where, reason: error.message }, 'skipping delivery record the database refused');
    }
  }
}
