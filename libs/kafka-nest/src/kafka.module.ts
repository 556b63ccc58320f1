import { Global, Inject, Injectable, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { consumersOf, topicSpecs, type ConsumingService } from '@tidings/contracts';
import type { KafkaConfig } from '@tidings/config';
import { createKafkaClient, provisionTopics } from '@tidings/kafka';
import { ReadinessRegistry } from '@tidings/service-runtime';
import type { Logger } from '@tidings/telemetry';
import { ConsumerLagMetric, REPORTED_GROUPS, type ReportedGroup } from './consumer-lag.metric';
import { consumerReadiness } from './consumer-readiness';
import { KafkaProducerService } from './kafka-producer.service';
import { KAFKA_CLIENT, KAFKA_CONFIG, SERVICE_LOGGER } from './tokens';

/**
 * Provisions Tidings' topics before anything produces or consumes: the same provisioning the
 * operator script and the tests run, so a fresh cluster works and drift is corrected.
 */
@Injectable()
class TopicProvisioning implements OnModuleInit {
  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(KAFKA_CONFIG) private readonly config: KafkaConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const report = await provisionTopics(admin, topicSpecs(this.config.topics, this.config.retrySchedule));
      if (report.created.length + report.updated.length > 0) this.logger.info(report, 'provisioned Kafka topics');
    } finally {
      await admin.disconnect();
    }
  }
}

function reportedGroups({ service, config }: KafkaModuleOptions): ReportedGroup[] {
  if (service === undefined) return [];
  return consumersOf(service, config)
    .filter((c) => c.mode !== 'replay')
    .map(({ groupId, topics }) => ({ groupId, topics }));
}

export interface KafkaModuleOptions {
  config: KafkaConfig;
  logger: Logger;
  /**
   * The service whose declared consumers (`CONSUMERS`) report lag (`tidings_kafka_consumer_lag`);
   * replays commit nothing and report none.
   */
  service?: ConsumingService;
}

/** The thin Nest adapter over @tidings/kafka: the client, topic provisioning, the producer, lag, consumer readiness. */
@Global()
@Module({})
export class KafkaModule {
  static forRoot(options: KafkaModuleOptions): DynamicModule {
    return {
      module: KafkaModule,
      providers: [
        { provide: KAFKA_CONFIG, useValue: options.config },
        { provide: SERVICE_LOGGER, useValue: options.logger },
        {
          provide: KAFKA_CLIENT,
          inject: [ReadinessRegistry],
          useFactory: (readiness: ReadinessRegistry) => createKafkaClient(options.config, options.logger, {}, consumerReadiness(readiness)),
        },
        { provide: REPORTED_GROUPS, useValue: reportedGroups(options) },
        TopicProvisioning,
        KafkaProducerService,
        ConsumerLagMetric,
      ],
      exports: [KAFKA_CLIENT, KAFKA_CONFIG, SERVICE_LOGGER, KafkaProducerService],
    };
  }
}
