import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { EndpointDirectory } from '@tidings/endpoint-directory';
import { KafkaModule } from '@tidings/kafka-nest';
import { SecretBox } from '@tidings/secret-box';
import { ServiceMetrics } from '@tidings/service-runtime';
import type { Logger } from '@tidings/telemetry';
import { EgressClient } from './delivery/egress-client';
import { PublisherMetrics } from './delivery/publisher-metrics';
import { WebhookDispatcher } from './delivery/webhook-dispatcher';
import { WebhookEventsConsumer } from './delivery/webhook-events.consumer';
import { WebhookNoticesConsumer } from './delivery/webhook-notices.consumer';
import type { PublisherConfig } from './publisher-config';

/** Closes the egress pool after the consumer stopped delivering. */
@Injectable()
class EgressClientLifecycle implements OnApplicationShutdown {
  constructor(@Inject(EgressClient) private readonly egress: EgressClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.egress.close();
  }
}

@Module({})
export class PublisherModule {
  static forRoot(config: PublisherConfig, logger: Logger): DynamicModule {
    return {
      module: PublisherModule,
      imports: [KafkaModule.forRoot({ config: config.kafka, logger })],
      providers: [
        { provide: EndpointDirectory, useFactory: () => new EndpointDirectory(logger.child({ component: 'endpoint-directory' })) },
        { provide: EgressClient, useFactory: () => new EgressClient(config.egressProxyUrl) },
        { provide: SecretBox, useFactory: () => new SecretBox(config.secrets.keys) },
        {
          provide: WebhookDispatcher,
          inject: [EgressClient, ServiceMetrics],
          useFactory: (egress: EgressClient, metrics: ServiceMetrics) => new WebhookDispatcher(egress, config.deliveryTimeoutMs, logger, new PublisherMetrics(metrics.registry)),
        },
        EgressClientLifecycle,
        WebhookEventsConsumer,
        WebhookNoticesConsumer,
      ],
    };
  }
}
