import { Counter, type Registry } from 'prom-client';

export type EventOutcome = 'routed' | 'dead_lettered' | 'duplicate';

/** The trigger's Prometheus metrics, counted once their batch's transaction committed. */
export class TriggerMetrics {
  private readonly events: Counter<'outcome'>;
  private readonly payloads: Counter;

  constructor(registry: Registry) {
    this.events = new Counter({ name: 'tidings_trigger_events_total', help: 'Domain events consumed, by outcome', labelNames: ['outcome'] as const, registers: [registry] });
    this.payloads = new Counter({ name: 'tidings_trigger_payloads_total', help: 'Webhook payloads produced (one per event and subscribed endpoint)', registers: [registry] });
  }

  committed(outcomes: Map<EventOutcome, number>, payloads: number): void {
    for (const [outcome, n] of outcomes) this.events.inc({ outcome }, n);
    this.payloads.inc(payloads);
  }
}
