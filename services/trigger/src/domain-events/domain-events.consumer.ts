import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CONSUMER_GROUPS, KAFKA_HEADERS, type WebhookEventRecord } from '@tidings/contracts';
import type { KafkaConfig } from '@tidings/config';
import { EndpointDirectory } from '@tidings/endpoint-directory';
import { ManagedConsumer, type ConsumedRecord } from '@tidings/kafka';
import { KAFKA_CLIENT, KAFKA_CONFIG, KafkaProducerService, SERVICE_LOGGER } from '@tidings/kafka-nest';
import type { Logger } from '@tidings/telemetry';
import type { Kafka } from 'kafkajs';
import { buildWebhookEvent } from '../routing/payload-builder';
import { decodeCloudEvent, type RejectionCode } from './cloud-event-decoder';

export const ADMIN_CONSOLE_URL = Symbol('ADMIN_CONSOLE_URL');

/**
 * Consumes domain events: decode and validate, route to subscribed endpoints, produce one
 * payload per endpoint keyed by endpoint id. Unusable records go to the DLQ with a reason;
 * the handler only returns (and the offset only advances) once that write succeeded.
 */
@Injectable()
export class DomainEventsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private consumer: ManagedConsumer | undefined;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(KAFKA_CONFIG) private readonly config: KafkaConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    @Inject(ADMIN_CONSOLE_URL) private readonly adminConsoleUrl: string,
    private readonly producer: KafkaProducerService,
    private readonly directory: EndpointDirectory,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Route only once the view of the endpoints includes everything configured so far.
    await this.directory.start(this.kafka, this.config.topics.endpointConfig, `${this.config.prefix}tidings.trigger.endpoint-view`);
    this.consumer = new ManagedConsumer(this.kafka, {
      groupId: `${this.config.prefix}${CONSUMER_GROUPS.trigger}`,
      logger: this.logger,
      handlers: { [this.config.topics.domainEvents]: (record) => this.handle(record) },
    });
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.consumer?.stop(), this.directory.stop()]);
    this.logger.info('stopped consuming domain events');
  }

  private async handle(record: ConsumedRecord): Promise<void> {
    const decoded = decodeCloudEvent(record);
    if (!decoded.ok) {
      await this.deadLetter(record, decoded.code, decoded.reason);
      return;
    }
    const { event } = decoded;
    // An endpoint whose config event reached Kafka before this event must see it.
    await this.directory.sync();
    const endpoints = this.directory.subscribersOf(event.tailnet, event.type);
    if (endpoints.length === 0) return;
    const webhookEvent = buildWebhookEvent(event, this.adminConsoleUrl);
    const records = endpoints.map((e) => {
      const value: WebhookEventRecord = { schemaVersion: 1, endpointId: e.endpointId, tailnet: event.tailnet, event: webhookEvent };
      return { key: e.endpointId, value: JSON.stringify(value) };
    });
    await this.producer.send(this.config.topics.webhookEvents, records);
    this.logger.debug({ eventId: event.id, type: event.type, endpoints: endpoints.length }, 'routed domain event');
  }

  private async deadLetter(record: ConsumedRecord, code: RejectionCode, reason: string): Promise<void> {
    this.logger.warn({ partition: record.partition, offset: record.offset, code, reason }, 'dead-lettering unusable domain event');
    await this.producer.send(this.config.topics.domainEventsDlq, [
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
  }
}
