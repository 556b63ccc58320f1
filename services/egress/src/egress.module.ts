import { Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { notReady, READY, ReadinessRegistry, ServiceMetrics } from '@tidings/service-runtime';
import type { Logger } from '@tidings/telemetry';
import { AddressPolicy } from '@tidings/address-policy';
import type { EgressConfig } from './egress-config';
import { ForwardProxy } from './forward-proxy';
import { DestinationGuard } from './destination-guard';
import { EgressMetrics } from './egress-metrics';
import { HostResolver } from './host-resolver';
import { UpstreamPools } from './upstream-pools';

export const EGRESS_CONFIG = Symbol('EGRESS_CONFIG');
export const LOGGER = Symbol('LOGGER');

/**
 * Starts the proxy listener with the app and drains it on shutdown. Ready (`proxy listener`)
 * while the proxy port accepts connections: the admin port answering says nothing about it.
 */
@Injectable()
class ProxyLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(ForwardProxy) private readonly proxy: ForwardProxy,
    @Inject(EGRESS_CONFIG) private readonly config: EgressConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(ReadinessRegistry) readiness: ReadinessRegistry,
  ) {
    readiness.register('proxy listener', () => (this.proxy.listening ? READY : notReady(`not listening on port ${this.config.port}`)));
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = await this.proxy.listen(this.config.port);
    this.logger.info({ port }, 'egress proxy listening');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.proxy.close();
  }
}

/**
 * The egress service: the forward proxy on EGRESS_PORT; this Nest app itself serves /health,
 * /ready and /metrics on EGRESS_ADMIN_PORT.
 */
@Module({})
export class EgressModule {
  static forRoot(config: EgressConfig, logger: Logger): DynamicModule {
    return {
      module: EgressModule,
      providers: [
        { provide: EGRESS_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: EgressMetrics, inject: [ServiceMetrics], useFactory: (metrics: ServiceMetrics) => new EgressMetrics(metrics.registry) },
        {
          provide: DestinationGuard,
          useFactory: () => new DestinationGuard(new AddressPolicy({ allow: config.allowCidrs, deny: config.denyCidrs, socks5: config.socks5?.cidrs, tailnets: config.tailnetCidrs }), new HostResolver(config.dnsServers), config.allowedPorts),
        },
        { provide: UpstreamPools, useFactory: () => new UpstreamPools(config) },
        {
          provide: ForwardProxy,
          inject: [DestinationGuard, UpstreamPools, EgressMetrics],
          useFactory: (guard: DestinationGuard, pools: UpstreamPools, metrics: EgressMetrics) => new ForwardProxy(config, guard, pools, metrics, logger),
        },
        ProxyLifecycle,
      ],
    };
  }
}
