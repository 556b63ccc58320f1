import { Controller, Get, Header, Inject } from '@nestjs/common';
import { EgressMetrics } from './egress-metrics';

/** Prometheus scrape endpoint on the admin port. */
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(EgressMetrics) private readonly metrics: EgressMetrics) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
