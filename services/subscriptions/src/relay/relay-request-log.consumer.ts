import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { KafkaConfig } from '@tidings/config';
import { relayRequestRecordSchema, resolveConsumer, type RelayRequestRecord, type ResolvedConsumer } from '@tidings/contracts';
import { ManagedConsumer, type ConsumedRecord } from '@tidings/kafka';
import { KAFKA_CLIENT, KAFKA_CONFIG, SERVICE_LOGGER } from '@tidings/kafka-nest';
import type { Logger } from '@tidings/telemetry';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { UnreadableRecords } from '../dead-letters/unreadable-records';

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
    if (requests.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO relay_requests (request_id, input_id, bucket_id, tailnet, received_at, method, size, ephemeral, sealed)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[], $6::text[], $7::int[], $8::boolean[], $9::jsonb[])
       ON CONFLICT (request_id) DO NOTHING`,
      [
        requests.map((r) => r.requestId),
        requests.map((r) => r.inputId),
        requests.map((r) => r.bucketId),
        requests.map((r) => r.tailnet),
        requests.map((r) => r.receivedAt),
        requests.map((r) => r.method),
        requests.map((r) => r.size),
        requests.map((r) => r.ephemeral),
        requests.map((r) => (r.ephemeral ? null : JSON.stringify(r.request))),
      ],
    );
  }
}
