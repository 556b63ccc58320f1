import { Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from '@tidings/telemetry';
import { AddressPolicy } from './address-policy';
import type { EgressConfig } from './egress-config';
import { ForwardProxy } from './forward-proxy';
import { HostResolver } from './host-resolver';
import { UpstreamPools } from './upstream-pools';

export const EGRESS_CONFIG = Symbol('EGRESS_CONFIG');
export const LOGGER = Symbol('LOGGER');

/** Starts the proxy listener with the app and drains it on shutdown. */
@Injectable()
class ProxyLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(ForwardProxy) private readonly proxy: ForwardProxy,
    @Inject(EGRESS_CONFIG) private readonly config: EgressConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = await this.proxy.listen(this.config.port);
    this.logger.info({ port }, 'egress proxy listening');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.proxy.close();
  }
}

/**
 * The egress service: the forward proxy on EGRESS_PORT; this Nest app itself serves /health
 * (and, later, /metrics) on EGRESS_ADMIN_PORT.
 */
@Module({})
export class EgressModule {
  static forRoot(config: EgressConfig, logger: Logger): DynamicModule {
    return {
      module: EgressModule,
      providers: [
        { provide: EGRESS_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: AddressPolicy, useFactory: () => new AddressPolicy({ allow: config.allowCidrs, deny: config.denyCidrs }) },
        { provide: HostResolver, useFactory: () => new HostResolver(config.dnsServers) },
        { provide: UpstreamPools, useFactory: () => new UpstreamPools(config) },
        {
          provide: ForwardProxy,
          inject: [AddressPolicy, HostResolver, UpstreamPools],
          useFactory: (policy: AddressPolicy, resolver: HostResolver, pools: UpstreamPools) => new ForwardProxy(config, policy, resolver, pools, logger),
        },
        ProxyLifecycle,
      ],
    };
  }
}
