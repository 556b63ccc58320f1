import { Controller, Get, Header, Inject, Module, type DynamicModule } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** Each service's own Prometheus registry; its metrics are named `tidings_<service>_…`. */
export class ServiceMetrics {
  readonly registry = new Registry();

  constructor(readonly prefix: string) {
    collectDefaultMetrics({ register: this.registry, prefix: `${prefix}_` });
  }
}

/** Prometheus scrape endpoint: GET /metrics on the service's HTTP port. */
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(ServiceMetrics) private readonly metrics: ServiceMetrics) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

/** Provides the service's registry to its modules and serves it. */
@Module({})
export class MetricsModule {
  static forService(name: string): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers: [{ provide: ServiceMetrics, useValue: new ServiceMetrics(`tidings_${name}`) }],
      exports: [ServiceMetrics],
    };
  }
}
