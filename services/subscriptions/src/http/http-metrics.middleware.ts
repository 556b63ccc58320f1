import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { ServiceMetrics } from '@tidings/service-runtime';
import type { NextFunction, Request, Response } from 'express';
import { Counter, Histogram } from 'prom-client';

/** Scrapes and probes are not API traffic. */
const UNCOUNTED = /^\/(metrics|health|ready)\b/;

/**
 * Counts and times every API request by route pattern (never the raw path: ids would make
 * each endpoint its own series). Requests that matched no route count as `unmatched`.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route'>;

  constructor(@Inject(ServiceMetrics) metrics: ServiceMetrics) {
    this.requests = new Counter({
      name: 'tidings_subscriptions_http_requests_total',
      help: 'Management API requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [metrics.registry],
    });
    this.duration = new Histogram({
      name: 'tidings_subscriptions_http_request_duration_seconds',
      help: 'Management API request to response',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [metrics.registry],
    });
  }

  use(req: Request, res: Response, next: NextFunction): void {
    if (UNCOUNTED.test(req.originalUrl)) return next();
    const started = performance.now();
    res.once('finish', () => {
      const route = routePattern(req);
      this.requests.inc({ method: req.method, route, status: String(res.statusCode) });
      this.duration.observe({ method: req.method, route }, (performance.now() - started) / 1000);
    });
    next();
  }
}

function routePattern(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path}` : 'unmatched';
}
