import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { KafkaConfig } from '@tidings/config';
import { relayRequestRecordSchema, resolveConsumer, type RelayRequestRecord, type ResolvedConsumer } from '@tidings/contracts';
import { insertUnnested, type UnnestColumn } from '@tidings/database';
import { ManagedConsumer, type ConsumedRecord } from '@tidings/kafka';
import { KAFKA_CLIENT, KAFKA_CONFIG, SERVICE_LOGGER } from '@tidings/kafka-nest';
import type { Logger } from '@tidings/telemetry';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { UnreadableRecords } from '../dead-letters/unreadable-records';

/** An ephemeral bucket's request keeps no content, sealed or not. */
const REQUEST_LOG_COLUMNS: UnnestColumn<RelayRequestRecord>[] = [
  ['request_id', 'uuid', (r) => r.requestId],
  ['input_id', 'uuid', (r) => r.inputId],
  ['bucket_id', 'uuid', (r) => r.bucketId],
  ['tailnet', 'text', (r) => r.tailnet],
  ['received_at', 'timestamptz', (r) => r.receivedAt],
  ['method', 'text', (r) => r.method],
  ['size', 'int', (r) => r.size],
  ['ephemeral', 'boolean', (r) => r.ephemeral],
  ['sealed', 'jsonb', (r) => (r.ephemeral ? null : JSON.stringify(r.request))],
];

/**
 * Writes the relay's accepted requests into its request log, a fetched batch per statement: a
 * normal bucket's request with its sealed content (as the relay sealed it), an ephemeral
 * bucket's with its method, size and time only. A redelivered record inserts nothing; an
 * unreadable one goes to the internal dead letters.
 */
@Injectable()
export class RelayRequestLogConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly declared: ResolvedConsumer;
  private readonly consumer: ManagedConsumer;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    @Inject(KAFKA_CONFIG) config: KafkaConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(UnreadableRecords) private readonly unreadable: UnreadableRecords,
  ) {
    this.declared = resolveConsumer('subscriptionsRelayRequests', config);
    this.consumer = new ManagedConsumer(kafka, { declared: this.declared, logger, batchHandlers: { [config.topics.relayRequests]: (records) => this.log(records) } });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }

  private async log(records: ConsumedRecord[]): Promise<void> {
    const requests: RelayRequestRecord[] = (await this.unreadable.decodeAll(records, relayRequestRecordSchema, 'relay request record', this.logger)).map((r) => r.value);
    await insertUnnested(this.dataSource, 'relay_requests', REQUEST_LOG_COLUMNS, requests, '(request_id)');
  }
}
