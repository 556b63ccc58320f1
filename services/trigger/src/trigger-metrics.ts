import { Counter, type Registry } from 'prom-client';
import { REJECTION_CODES, type RejectionCode } from './domain-events/cloud-event-decoder';

export type EventOutcome = 'routed' | 'dead_lettered' | 'duplicate';

/** What one batch did, counted into the metrics only once its transaction committed. */
export class BatchTally {
  readonly outcomes = new Map<EventOutcome, number>();
  readonly rejections = new Map<RejectionCode, number>();
  payloads = 0;

  count(outcome: EventOutcome): void {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  deadLettered(code: RejectionCode): void {
    this.count('dead_lettered');
    this.rejections.set(code, (this.rejections.get(code) ?? 0) + 1);
  }
}

/** The trigger's Prometheus metrics (names documented in the README). */
export class TriggerMetrics {
  private readonly events: Counter<'outcome'>;
  private readonly deadLetters: Counter<'reason_code'>;
  private readonly payloads: Counter;

  constructor(registry: Registry) {
    this.events = new Counter({ name: 'tidings_trigger_events_total', help: 'Domain events consumed, by outcome', labelNames: ['outcome'] as const, registers: [registry] });
    this.deadLetters = new Counter({ name: 'tidings_trigger_dead_letters_total', help: 'Domain events sent to the DLQ, by reason code', labelNames: ['reason_code'] as const, registers: [registry] });
    // Every code starts at 0: an alert on increase() cannot see a series whose first sample is already its first dead letter.
    for (const reason_code of REJECTION_CODES) this.deadLetters.inc({ reason_code }, 0);
    this.payloads = new Counter({ name: 'tidings_trigger_payloads_total', help: 'Webhook payloads produced (one per event and subscribed endpoint)', registers: [registry] });
  }

  committed(tally: BatchTally): void {
    for (const [outcome, n] of tally.outcomes) this.events.inc({ outcome }, n);
    for (const [reason_code, n] of tally.rejections) this.deadLetters.inc({ reason_code }, n);
    this.payloads.inc(tally.payloads);
  }
}
