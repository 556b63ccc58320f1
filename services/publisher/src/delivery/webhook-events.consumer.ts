import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CONSUMER_GROUPS, webhookEventRecordSchema } from '@tidings/contracts';
import type { KafkaConfig } from '@tidings/config';
import { EndpointDirectory } from '@tidings/endpoint-directory';
import { decodeJsonRecord, ManagedConsumer, type ConsumedRecord } from '@tidings/kafka';
import { KAFKA_CLIENT, KAFKA_CONFIG, SERVICE_LOGGER } from '@tidings/kafka-nest';
import type { Logger } from '@tidings/telemetry';
import type { Kafka } from 'kafkajs';
import { SecretBox } from '@tidings/secret-box';
import { signingSecrets } from '../signing/endpoint-secrets';
import { WebhookDispatcher } from './webhook-dispatcher';

/**
 * A batch id derived from the record's place in the log, so a redelivery after a crash
 * carries the same `webhook-id` and receivers can deduplicate.
 */
export function batchIdFor(record: Pick<ConsumedRecord, 'topic' | 'partition' | 'offset'>): string {
  const digest = createHash('sha256').update(`${record.topic}/${record.partition}/${record.offset}`).digest('hex');
  return `msg_${digest.slice(0, 32)}`;
}

/**
 * Consumes webhook payloads and delivers each to its endpoint. A failed delivery throws, so
 * the offset stays and the record is tried again: nothing is lost.
 */
@Injectable()
export class WebhookEventsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private consumer: ManagedConsumer | undefined;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(KAFKA_CONFIG) private readonly config: KafkaConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly directory: EndpointDirectory,
    private readonly dispatcher: WebhookDispatcher,
    @Inject(SecretBox) private readonly secretBox: SecretBox,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.directory.start(this.kafka, this.config.topics.endpointConfig, `${this.config.prefix}tidings.publisher.endpoint-view`);
    this.consumer = new ManagedConsumer(this.kafka, {
      groupId: `${this.config.prefix}${CONSUMER_GROUPS.publisher}`,
      logger: this.logger,
      handlers: { [this.config.topics.webhookEvents]: (record) => this.handle(record) },
    });
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.consumer?.stop(), this.directory.stop()]);
    this.logger.info('stopped consuming webhook events');
  }

  private async handle(record: ConsumedRecord): Promise<void> {
    const decoded = decodeJsonRecord(record, webhookEventRecordSchema);
    if (!decoded.ok) {
      this.logger.error({ partition: record.partition, offset: record.offset, reason: decoded.reason }, 'skipping unreadable webhook payload record');
      return;
    }
    const payload = decoded.value;
    const endpoint = this.directory.get(payload.endpointId);
    if (!endpoint || !endpoint.enabled) {
      this.logger.info({ endpointId: payload.endpointId }, 'endpoint deleted or disabled; payload not delivered');
      return;
    }
    const target = { endpointId: endpoint.endpointId, endpointUrl: endpoint.endpointUrl, secrets: signingSecrets(endpoint, this.secretBox) };
    await this.dispatcher.dispatch({ id: batchIdFor(record), kind: 'payload', target, events: [payload.event] });
  }
}
