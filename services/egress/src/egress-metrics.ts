import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RefusalKind } from './refusal';

export type Outcome = 'ok' | 'refused' | 'failed';

/** The egress' Prometheus metrics (names documented in the README). */
export class EgressMetrics {
  private readonly requests: Counter<'kind' | 'outcome' | 'reason_code'>;
  private readonly refusals: Counter<'reason' | 'code'>;
  private readonly duration: Histogram<'kind' | 'outcome'>;
  readonly openConnections: Gauge;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'tidings_egress_requests_total',
      help: 'Proxied requests and CONNECT tunnels, by kind, outcome and refusal code',
      labelNames: ['kind', 'outcome', 'reason_code'] as const,
      registers: [registry],
    });
    this.refusals = new Counter({
      name: 'tidings_egress_refusals_total',
      help: 'Requests the proxy refused or failed itself, by reason (see the README table)',
      labelNames: ['reason', 'code'] as const,
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'tidings_egress_request_duration_seconds',
      help: 'Time from request to the end of the response (or the refusal)',
      labelNames: ['kind', 'outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.openConnections = new Gauge({
      name: 'tidings_egress_open_connections',
      help: 'Client connections open to the proxy (tunnels included)',
      registers: [registry],
    });
  }

  record(kind: 'http' | 'connect', outcome: Outcome, seconds: number, refusal?: { reason: RefusalKind; code: number }): void {
    this.requests.inc({ kind, outcome, reason_code: refusal === undefined ? '' : String(refusal.code) });
    if (refusal) this.refusals.inc({ reason: refusal.reason, code: String(refusal.code) });
    this.duration.observe({ kind, outcome }, seconds);
  }
}
