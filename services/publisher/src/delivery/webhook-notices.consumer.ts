import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CONSUMER_GROUPS, webhookNoticeRecordSchema } from '@tidings/contracts';
import type { KafkaConfig } from '@tidings/config';
import { decodeJsonRecord, ManagedConsumer, type ConsumedRecord } from '@tidings/kafka';
import { KAFKA_CLIENT, KAFKA_CONFIG, SERVICE_LOGGER } from '@tidings/kafka-nest';
import { SecretBox } from '@tidings/secret-box';
import type { Logger } from '@tidings/telemetry';
import type { Kafka } from 'kafkajs';
import { batchIdFor } from './webhook-events.consumer';
import { WebhookDispatcher } from './webhook-dispatcher';

/**
 * Delivers test events and `webhook*` notices. Its own consumer group on its own topic, so a
 * notice never waits behind an endpoint's payload backlog; and each record names its target
 * and secrets, so a deleted or rotated endpoint is still told, with the secret it holds.
 */
@Injectable()
export class WebhookNoticesConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private consumer: ManagedConsumer | undefined;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(KAFKA_CONFIG) private readonly config: KafkaConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    @Inject(SecretBox) private readonly secretBox: SecretBox,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = new ManagedConsumer(this.kafka, {
      groupId: `${this.config.prefix}${CONSUMER_GROUPS.publisherNotices}`,
      logger: this.logger,
      handlers: { [this.config.topics.webhookNotices]: (record) => this.handle(record) },
    });
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  private async handle(record: ConsumedRecord): Promise<void> {
    const decoded = decodeJsonRecord(record, webhookNoticeRecordSchema);
    if (!decoded.ok) {
      this.logger.error({ partition: record.partition, offset: record.offset, reason: decoded.reason }, 'skipping unreadable notice record');
      return;
    }
    const { target, event } = decoded.value;
    const secrets = target.secrets.map((s) => this.secretBox.open(s, target.endpointId));
    await this.dispatcher.dispatch({ id: batchIdFor(record), kind: 'notice', target: { endpointId: target.endpointId, endpointUrl: target.endpointUrl, secrets }, events: [event] });
  }
}
