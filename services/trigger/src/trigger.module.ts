import { Module, type DynamicModule } from '@nestjs/common';
import { EndpointDirectory } from '@tidings/endpoint-directory';
import { KafkaModule } from '@tidings/kafka-nest';
import type { Logger } from '@tidings/telemetry';
import { ADMIN_CONSOLE_URL, DomainEventsConsumer } from './domain-events/domain-events.consumer';
import type { TriggerConfig } from './trigger-config';

@Module({})
export class TriggerModule {
  static forRoot(config: TriggerConfig, logger: Logger): DynamicModule {
    return {
      module: TriggerModule,
      imports: [KafkaModule.forRoot({ config: config.kafka, logger })],
      providers: [
        { provide: ADMIN_CONSOLE_URL, useValue: config.adminConsoleUrl },
        { provide: EndpointDirectory, useFactory: () => new EndpointDirectory(logger.child({ component: 'endpoint-directory' })) },
        DomainEventsConsumer,
      ],
    };
  }
}
