import { Inject, Injectable, Module, type DynamicModule, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { consumersOf, relayDataKeyLifetimeMs, resolveConsumer, type ResolvedConsumer } from '@tidings/contracts';
import { ADVISORY_LOCKS, runMigrations } from '@tidings/database';
import { EndpointDirectory } from '@tidings/endpoint-directory';
import { assertConsumersBuilt } from '@tidings/kafka';
import { KAFKA_CLIENT, KafkaModule, KafkaProducerService } from '@tidings/kafka-nest';
import { SecretBox } from '@tidings/secret-box';
import { notReady, READY, ReadinessRegistry, ServiceMetrics } from '@tidings/service-runtime';
import type { Logger } from '@tidings/telemetry';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { publisherDataSource } from './database/publisher-data-source';
import { DeliverBatch } from './delivery/deliver-batch';
import { DeliveryRecordsProducer } from './delivery/delivery-records.producer';
import { EgressClient } from './delivery/egress-client';
import { PublisherMetrics } from './delivery/publisher-metrics';
import { RelayDataKeys } from './delivery/relay-data-keys';
import { RelayedRequests } from './delivery/relayed-requests';
import { UnreadableRecords } from './delivery/unreadable-records';
import { WebhookDispatcher } from './delivery/webhook-dispatcher';
import { WebhookNoticesConsumer } from './delivery/webhook-notices.consumer';
import { DeliveryHoldsRepository } from './holds/delivery-holds.repository';
import { BatchIntents } from './lanes/batch-intents';
import { HoldEffects } from './holds/hold-effects';
import { EndpointLanes } from './lanes/endpoint-lanes';
import { WebhookLanesConsumer } from './lanes/webhook-lanes.consumer';
import { HeapPressure } from './lanes/heap-pressure';
import type { PublisherConfig } from './publisher-config';
import { FailedBatchRouter } from './retry/failed-batch-router';
import { RetryChainConsumer } from './retry/retry-chain.consumer';
import { RetryHandler } from './retry/retry-handler';
import { HoldRelease } from './retry/hold-release';
import { LostRetryCheck } from './retry/lost-retry-check';
import { UnreadableRetries } from './retry/unreadable-retries';

const CONFIG = Symbol('PUBLISHER_CONFIG');
const LOGGER = Symbol('PUBLISHER_LOGGER');
const DATA_SOURCE = Symbol('PUBLISHER_DATA_SOURCE');
const DELIVERY_WORKERS = Symbol('PUBLISHER_DELIVERY_WORKERS');

/**
 * Connects the publisher's tables and brings them up to date before anything delivers. Its
 * readiness check is ready by construction once the port is open (this runs during init,
 * before listen); it is there so /ready lists everything the service waits for.
 */
@Injectable()
class Database implements OnModuleInit, OnApplicationShutdown {
  private migrated = false;

  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(ReadinessRegistry) readiness: ReadinessRegistry,
  ) {
    readiness.register('database migrations', () => (this.migrated ? READY : notReady('migrations have not run yet')));
  }

  async onModuleInit(): Promise<void> {
    await this.dataSource.initialize();
    const applied = await runMigrations(this.dataSource, ADVISORY_LOCKS.publisherMigrations);
    if (applied.length > 0) this.logger.info({ applied }, 'applied database migrations');
    this.migrated = true;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * Something the pipeline starts after the endpoint view is current and stops before it closes:
 * a Kafka consumer (with its declaration) or a periodic job.
 */
interface DeliveryWorker {
  readonly declared?: ResolvedConsumer;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the three consumers (payload lanes, retry chain, notices), the relay data keys and the lost-retry check once
 * the endpoint view is current, and stops them first on shutdown: no delivery starts after
 * shutdown begins, and what finished is committed before the pools and the database close.
 */
@Injectable()
class DeliveryPipeline implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(CONFIG) private readonly config: PublisherConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(EndpointDirectory) private readonly directory: EndpointDirectory,
    @Inject(EgressClient) private readonly egress: EgressClient,
    @Inject(DELIVERY_WORKERS) private readonly workers: readonly DeliveryWorker[],
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const view = resolveConsumer('publisherEndpointView', this.config.kafka);
    const relayOutputs = resolveConsumer('publisherRelayOutputsView', this.config.kafka);
    // The endpoint views and the delivery consumers: exactly what CONSUMERS declares for the publisher.
    const consumers = this.workers.flatMap((w) => (w.declared && w.declared.topics.length > 0 ? [w.declared.name] : []));
    assertConsumersBuilt(consumersOf('publisher', this.config.kafka), [view.name, relayOutputs.name, ...consumers]);
    await Promise.all([this.directory.start(this.kafka, view), this.directory.followRelayOutputs(this.kafka, relayOutputs)]);
    await Promise.all(this.workers.map((w) => w.start()));
  }

  /** Before any other shutdown hook: the producer and the database are still open. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
    await this.directory.stop();
    await this.egress.close();
    this.logger.info('stopped delivering');
  }
}

@Module({})
export class PublisherModule {
  static forRoot(config: PublisherConfig, logger: Logger): DynamicModule {
    return {
      module: PublisherModule,
      imports: [
        KafkaModule.forRoot({
          config: config.kafka,
          logger,
          service: 'publisher',
        }),
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: DATA_SOURCE, useFactory: () => publisherDataSource(config.database) },
        { provide: EndpointDirectory, inject: [ServiceMetrics], useFactory: (m: ServiceMetrics) => new EndpointDirectory(logger.child({ component: 'endpoint-directory' }), m.registry) },
        { provide: EgressClient, useFactory: () => new EgressClient(config.egressProxyUrl, config.deliveryConcurrency) },
        { provide: SecretBox, useFactory: () => new SecretBox(config.secrets.keys) },
        { provide: DeliveryHoldsRepository, inject: [DATA_SOURCE], useFactory: (ds: DataSource) => new DeliveryHoldsRepository(ds) },
        {
          provide: PublisherMetrics,
          inject: [ServiceMetrics, DeliveryHoldsRepository, EgressClient],
          useFactory: (m: ServiceMetrics, holds: DeliveryHoldsRepository, egress: EgressClient) => {
            const metrics = new PublisherMetrics(m.registry);
            metrics.watchHolds(() => holds.countByState());
            metrics.watchEgressSlots(egress.slots);
            return metrics;
          },
        },
        {
          provide: RelayDataKeys,
          inject: [KAFKA_CLIENT, SecretBox],
          useFactory: (kafka: Kafka, master: SecretBox) =>
            new RelayDataKeys({ kafka, declared: resolveConsumer('publisherRelayDataKeys', config.kafka), master, lifetimeMs: relayDataKeyLifetimeMs(config.kafka.retrySchedule), logger: logger.child({ component: 'relay-data-keys' }) }),
        },
        {
          provide: WebhookDispatcher,
          inject: [EgressClient, PublisherMetrics, SecretBox, RelayDataKeys],
          useFactory: (egress: EgressClient, metrics: PublisherMetrics, box: SecretBox, keys: RelayDataKeys) =>
            new WebhookDispatcher(egress, config.deliveryTimeoutMs, logger, metrics, new RelayedRequests(box, keys)),
        },
        {
          provide: DeliveryRecordsProducer,
          inject: [KafkaProducerService, PublisherMetrics],
          useFactory: (producer: KafkaProducerService, metrics: PublisherMetrics) => new DeliveryRecordsProducer(producer, config.kafka.topics, metrics),
        },
        {
          provide: UnreadableRecords,
          inject: [KafkaProducerService, PublisherMetrics],
          useFactory: (producer: KafkaProducerService, metrics: PublisherMetrics) => new UnreadableRecords(producer, config.kafka.topics.internalDeadLetters, metrics, logger),
        },
        {
          provide: HoldRelease,
          inject: [EndpointDirectory, DeliveryHoldsRepository, DeliveryRecordsProducer, PublisherMetrics],
          useFactory: (directory: EndpointDirectory, holds: DeliveryHoldsRepository, records: DeliveryRecordsProducer, metrics: PublisherMetrics) =>
            new HoldRelease({ directory, holds, records, metrics, logger: logger.child({ component: 'retry-chain' }) }),
        },
        {
          provide: UnreadableRetries,
          inject: [UnreadableRecords, HoldRelease],
          useFactory: (unreadable: UnreadableRecords, release: HoldRelease) => new UnreadableRetries(unreadable, release),
        },
        {
          provide: LostRetryCheck,
          inject: [KAFKA_CLIENT, DeliveryHoldsRepository, HoldRelease],
          useFactory: (kafka: Kafka, holds: DeliveryHoldsRepository, release: HoldRelease) =>
            new LostRetryCheck(kafka, { chain: resolveConsumer('publisherRetries', config.kafka), holds, release, every: config.lostRetry, logger: logger.child({ component: 'lost-retry-check' }) }),
        },
        {
          provide: FailedBatchRouter,
          inject: [DeliveryRecordsProducer],
          useFactory: (records: DeliveryRecordsProducer) => new FailedBatchRouter(records, config.kafka.retrySchedule, config.kafka.topics.webhookRetries),
        },
        {
          provide: DeliverBatch,
          inject: [WebhookDispatcher, DeliveryRecordsProducer, FailedBatchRouter, SecretBox, PublisherMetrics],
          useFactory: (dispatcher: WebhookDispatcher, records: DeliveryRecordsProducer, router: FailedBatchRouter, secretBox: SecretBox, metrics: PublisherMetrics) =>
            new DeliverBatch({ dispatcher, records, router, secretBox, metrics }),
        },
        {
          provide: EndpointLanes,
          inject: [EndpointDirectory, DeliveryHoldsRepository, DeliveryRecordsProducer, DeliverBatch, DATA_SOURCE],
          useFactory: (directory: EndpointDirectory, holds: DeliveryHoldsRepository, records: DeliveryRecordsProducer, deliver: DeliverBatch, db: DataSource) =>
            new EndpointLanes({
              directory,
              holds: new HoldEffects({ directory, holds, records, limits: config.batch }),
              deliver,
              intents: new BatchIntents(db, logger.child({ component: 'batch-intents' })),
              settings: { limits: config.batch, groupId: resolveConsumer('publisherLanes', config.kafka).groupId },
              logger: logger.child({ component: 'lanes' }),
            }),
        },
        {
          provide: RetryHandler,
          inject: [EndpointDirectory, DeliveryHoldsRepository, DeliverBatch, DeliveryRecordsProducer],
          useFactory: (directory: EndpointDirectory, holds: DeliveryHoldsRepository, deliver: DeliverBatch, records: DeliveryRecordsProducer) =>
            new RetryHandler({ directory, holds, deliver, records, logger: logger.child({ component: 'retry-chain' }) }),
        },
        // Payload lanes, the retry chain and notices, each on its own consumer group.
        {
          provide: WebhookLanesConsumer,
          inject: [KAFKA_CLIENT, EndpointLanes, UnreadableRecords, PublisherMetrics],
          useFactory: (kafka: Kafka, lanes: EndpointLanes, unreadable: UnreadableRecords, metrics: PublisherMetrics) => {
            const heap = new HeapPressure(config.lanesPauseAtHeapPercent, { onFull: () => metrics.heapPaused() });
            return new WebhookLanesConsumer(kafka, resolveConsumer('publisherLanes', config.kafka), { lanes, unreadable, logger, pauseWhen: { pending: config.lanesMaxPendingRecords, heap } });
          },
        },
        {
          provide: RetryChainConsumer,
          inject: [KAFKA_CLIENT, RetryHandler, UnreadableRetries, PublisherMetrics],
          useFactory: (kafka: Kafka, handler: RetryHandler, unreadable: UnreadableRetries, metrics: PublisherMetrics) =>
            new RetryChainConsumer(kafka, {
              declared: resolveConsumer('publisherRetries', config.kafka),
              handler,
              unreadable,
              metrics,
              logger,
            }),
        },
        {
          provide: WebhookNoticesConsumer,
          inject: [KAFKA_CLIENT, DeliverBatch, SecretBox, UnreadableRecords],
          useFactory: (kafka: Kafka, deliver: DeliverBatch, secretBox: SecretBox, unreadable: UnreadableRecords) =>
            new WebhookNoticesConsumer(kafka, resolveConsumer('publisherNotices', config.kafka), { deliver, secretBox, unreadable, logger }),
        },
        {
          provide: DELIVERY_WORKERS,
          // The data keys first: the others wait for them only when a relayed request needs one.
          inject: [RelayDataKeys, WebhookLanesConsumer, RetryChainConsumer, WebhookNoticesConsumer, LostRetryCheck],
          useFactory: (...workers: DeliveryWorker[]) => workers,
        },
        Database,
        DeliveryPipeline,
      ],
    };
  }
}
