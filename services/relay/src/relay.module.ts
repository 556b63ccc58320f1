import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { KafkaConfig } from '@tidings/config';
import { resolveConsumer } from '@tidings/contracts';
import { KAFKA_CLIENT, KAFKA_CONFIG, KafkaModule, KafkaProducerService } from '@tidings/kafka-nest';
import { CidrList } from '@tidings/relay-auth';
import { SecretBox } from '@tidings/secret-box';
import { notReady, READY, ReadinessRegistry, ServiceMetrics } from '@tidings/service-runtime';
import type { Logger } from '@tidings/telemetry';
import type { Kafka } from 'kafkajs';
import { InboundController, RELAY_LOGGER, TRUSTED_PROXIES } from './inbound.controller';
import type { RelayConfig } from './relay-config';
import { DestinationWaiter } from './destination-waiter';
import { EphemeralSealer } from './ephemeral-sealer';
import { ACCEPTANCE_LOGGER, RelayAcceptance } from './relay-acceptance';
import { RelayDirectory } from './relay-directory';
import { RelayMetrics } from './relay-metrics';
import { RELAY_TOPICS, RelayRequestsProducer } from './relay-requests.producer';
import { RelayRouterConsumer } from './relay-router.consumer';

/** Replays the relay config log before the port opens, so an input answers as configured from the first request. */
@Injectable()
class RelayDirectoryLifecycle implements OnModuleInit, OnApplicationShutdown {
  private started = false;

  constructor(
    private readonly directory: RelayDirectory,
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(KAFKA_CONFIG) private readonly config: KafkaConfig,
    @Inject(ReadinessRegistry) readiness: ReadinessRegistry,
  ) {
    readiness.register('relay config view', () => (this.started ? READY : notReady('the relay config log is not replayed yet')));
  }

  async onModuleInit(): Promise<void> {
    await this.directory.start(this.kafka, resolveConsumer('relayConfigView', this.config));
    this.started = true;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.directory.stop();
  }
}

@Module({})
export class RelayModule {
  static forRoot(config: RelayConfig, logger: Logger): DynamicModule {
    return {
      module: RelayModule,
      imports: [KafkaModule.forRoot({ config: config.kafka, logger, service: 'relay' })],
      controllers: [InboundController],
      providers: [
        { provide: RELAY_LOGGER, useValue: logger },
        { provide: RELAY_TOPICS, useValue: config.kafka.topics },
        { provide: TRUSTED_PROXIES, useValue: new CidrList(config.trustedProxies) },
        { provide: SecretBox, useFactory: () => new SecretBox(config.secrets.keys) },
        { provide: RelayDirectory, useFactory: () => new RelayDirectory(logger.child({ component: 'relay-directory' })) },
        { provide: RelayMetrics, inject: [ServiceMetrics], useFactory: (m: ServiceMetrics) => new RelayMetrics(m.registry) },
        { provide: ACCEPTANCE_LOGGER, useValue: logger.child({ component: 'acceptance' }) },
        { provide: DestinationWaiter, useFactory: () => new DestinationWaiter(config.egressProxyUrl) },
        {
          provide: EphemeralSealer,
          inject: [KafkaProducerService, SecretBox],
          useFactory: (producer: KafkaProducerService, master: SecretBox) => new EphemeralSealer({ producer, topics: config.kafka.topics, schedule: config.kafka.retrySchedule, master }),
        },
        RelayAcceptance,
        RelayDirectoryLifecycle,
        RelayRequestsProducer,
        RelayRouterConsumer,
      ],
    };
  }
}
