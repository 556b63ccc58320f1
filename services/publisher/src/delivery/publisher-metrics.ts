import { Counter, Histogram, type Registry } from 'prom-client';

export type DeliveryKind = 'payload' | 'notice';

/** The publisher's Prometheus metrics. */
export class PublisherMetrics {
  private readonly deliveries: Counter<'kind' | 'outcome'>;
  private readonly duration: Histogram<'kind'>;
  private readonly eventToDelivery: Histogram<'kind'>;

  constructor(registry: Registry) {
    this.deliveries = new Counter({ name: 'tidings_publisher_deliveries_total', help: 'Delivery attempts, by kind and outcome', labelNames: ['kind', 'outcome'] as const, registers: [registry] });
    this.duration = new Histogram({
      name: 'tidings_publisher_delivery_duration_seconds',
      help: 'One delivery attempt, request to response, through the egress',
      labelNames: ['kind'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
      registers: [registry],
    });
    this.eventToDelivery = new Histogram({
      name: 'tidings_publisher_event_to_delivery_seconds',
      help: "From the event's timestamp to its successful delivery",
      labelNames: ['kind'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400],
      registers: [registry],
    });
  }

  attempt(kind: DeliveryKind, delivered: boolean, seconds: number, eventTimestamps: string[]): void {
    this.deliveries.inc({ kind, outcome: delivered ? 'delivered' : 'failed' });
    this.duration.observe({ kind }, seconds);
    if (!delivered) return;
    const now = Date.now();
    for (const t of eventTimestamps) this.eventToDelivery.observe({ kind }, Math.max(0, (now - Date.parse(t)) / 1000));
  }
}
