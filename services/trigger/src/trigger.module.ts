import { Module, type DynamicModule } from '@nestjs/common';
import { EndpointDirectory } from '@tidings/endpoint-directory';
import { KafkaModule } from '@tidings/kafka-nest';
import { ServiceMetrics } from '@tidings/service-runtime';
import type { Logger } from '@tidings/telemetry';
import { DuplicateFilter } from './dedup/duplicate-filter';
import { DomainEventsConsumer, TRIGGER_OPTIONS } from './domain-events/domain-events.consumer';
import { TriggerViews } from './domain-events/trigger-views';
import type { TriggerConfig } from './trigger-config';
import { TriggerMetrics } from './trigger-metrics';

@Module({})
export class TriggerModule {
  static forRoot(config: TriggerConfig, logger: Logger): DynamicModule {
    return {
      module: TriggerModule,
      imports: [
        KafkaModule.forRoot({
          config: config.kafka,
          logger,
          service: 'trigger',
        }),
      ],
      providers: [
        { provide: TRIGGER_OPTIONS, useValue: { adminConsoleUrl: config.adminConsoleUrl } },
        { provide: DuplicateFilter, useFactory: () => new DuplicateFilter(logger.child({ component: 'duplicate-filter' })) },
        { provide: EndpointDirectory, inject: [ServiceMetrics], useFactory: (m: ServiceMetrics) => new EndpointDirectory(logger.child({ component: 'endpoint-directory' }), m.registry) },
        { provide: TriggerMetrics, inject: [ServiceMetrics], useFactory: (metrics: ServiceMetrics) => new TriggerMetrics(metrics.registry) },
        TriggerViews,
        DomainEventsConsumer,
      ],
    };
  }
}
