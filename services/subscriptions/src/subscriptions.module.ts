import { Inject, Injectable, Module, type DynamicModule, type MiddlewareConsumer, type NestModule, type OnModuleInit } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import { KafkaModule } from '@tidings/kafka-nest';
import { SecretBox } from '@tidings/secret-box';
import { notReady, READY, ReadinessRegistry } from '@tidings/service-runtime';
import type { Logger } from '@tidings/telemetry';
import type { DataSource } from 'typeorm';
import { ApiKeyEntity } from './api-keys/api-key.entity';
import { ApiKeyGuard } from './api-keys/api-key.guard';
import { ApiKeysService } from './api-keys/api-keys.service';
import { PortalSessionEntity } from './api-keys/portal-session.entity';
import { PortalSessionsController } from './api-keys/portal-sessions.controller';
import { PortalSessionsService } from './api-keys/portal-sessions.service';
import { CONSOLE_FRAME_ANCESTORS, ConsoleController } from './console/console.controller';
import { dataSourceOptions } from './database/data-source-options';
import { DatabaseReadiness } from './database/database-readiness';
import { ADVISORY_LOCKS, runMigrations } from '@tidings/database';
import { BatchReplayService } from './deliveries/batch-replay.service';
import { DeliveriesController } from './deliveries/deliveries.controller';
import { DeliveryQueriesService } from './deliveries/delivery-queries.service';
import { UnreadableRecords } from './dead-letters/unreadable-records';
import { DeclaredConsumersCheck } from './declared-consumers.check';
import { DeliveryRecordsConsumer } from './deliveries/delivery-records.consumer';
import { EndpointCommandsConsumer } from './endpoints/endpoint-commands.consumer';
import { EndpointCommandsService } from './endpoints/endpoint-commands.service';
import { EndpointQueriesService } from './endpoints/endpoint-queries.service';
import { EndpointUrlPolicy } from './endpoints/endpoint-url.policy';
import { EndpointEntity } from './endpoints/endpoint.entity';
import { WebhooksController } from './endpoints/webhooks.controller';
import { HttpMetricsMiddleware } from './http/http-metrics.middleware';
import { JsonBodyMiddleware } from './http/json-body.middleware';
import { OpenApiController } from './http/openapi.controller';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { OutboxRelayService } from './outbox/outbox-relay.service';
import { RelayBucketsController } from './relay/relay-buckets.controller';
import { RelayBucketsService } from './relay/relay-buckets.service';
import { RelayOutputsController } from './relay/relay-outputs.controller';
import { RelayOutputsService } from './relay/relay-outputs.service';
import { RELAY_REQUEST_LOG_OPTIONS, RelayRequestLog } from './relay/relay-request-log';
import { RelayRequestLogConsumer } from './relay/relay-request-log.consumer';
import { RelayRequestsController } from './relay/relay-requests.controller';
import type { SubscriptionsConfig } from './subscriptions-config';

const LOGGER = Symbol('LOGGER');

/**
 * Brings the schema up to date before anything reads or writes. Its readiness check is ready
 * by construction once the port is open (migrations run during init, before listen); it is
 * there so /ready lists everything the service waits for.
 */
@Injectable()
class Migrator implements OnModuleInit {
  private migrated = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(ReadinessRegistry) readiness: ReadinessRegistry,
  ) {
    readiness.register('database migrations', () => (this.migrated ? READY : notReady('migrations have not run yet')));
  }

  async onModuleInit(): Promise<void> {
    const applied = await runMigrations(this.dataSource, ADVISORY_LOCKS.subscriptionsMigrations);
    if (applied.length > 0) this.logger.info({ applied }, 'applied database migrations');
    this.migrated = true;
  }
}

@Module({})
export class SubscriptionsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware, JsonBodyMiddleware).forRoutes('*');
  }

  static forRoot(config: SubscriptionsConfig, logger: Logger): DynamicModule {
    return {
      module: SubscriptionsModule,
      imports: [
        TypeOrmModule.forRoot(dataSourceOptions(config.database)),
        TypeOrmModule.forFeature([ApiKeyEntity, PortalSessionEntity, EndpointEntity]),
        KafkaModule.forRoot({
          config: config.kafka,
          logger,
          service: 'subscriptions',
        }),
      ],
      controllers: [WebhooksController, DeliveriesController, RelayBucketsController, RelayOutputsController, RelayRequestsController, PortalSessionsController, OpenApiController, ConsoleController],
      providers: [
        { provide: LOGGER, useValue: logger },
        { provide: CONSOLE_FRAME_ANCESTORS, useValue: config.consoleFrameAncestors },
        { provide: APP_FILTER, useFactory: () => new ProblemDetailsFilter(logger) },
        { provide: SecretBox, useFactory: () => new SecretBox(config.secrets.keys) },
        { provide: EndpointUrlPolicy, useFactory: () => new EndpointUrlPolicy(config.allowCidrs, config.tailnetCidrs) },
        Migrator,
        DatabaseReadiness,
        ApiKeysService,
        PortalSessionsService,
        ApiKeyGuard,
        EndpointCommandsService,
        EndpointQueriesService,
        RelayBucketsService,
        RelayOutputsService,
        RelayRequestLog,
        RelayRequestLogConsumer,
        { provide: RELAY_REQUEST_LOG_OPTIONS, useValue: config.relayRequestLog },
        OutboxRelayService,
        DeliveryQueriesService,
        BatchReplayService,
        UnreadableRecords,
        DeliveryRecordsConsumer,
        EndpointCommandsConsumer,
        DeclaredConsumersCheck,
      ],
    };
  }
}
