import { deadLetterCauseSchema, type DeadLetterCause, type WebhookEvent } from '@tidings/contracts';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AttemptOutcome, DeliveryKind } from './delivery-terms';

const HOLD_STATES = ['retrying', 'resolved', 'draining', 'deadLettered'] as const;

/** A view the retry consumer keeps of one retry topic, read at scrape time. */
export interface RetryTopicGauges {
  /** Records written to the topic and not yet consumed (group lag). */
  backlog(): Promise<number>;
  /** Seconds since the oldest record this instance holds became due; 0 when none is due. */
  oldestDueAgeSeconds(): number;
}

/** The publisher's Prometheus metrics (names documented in the README). */
export class PublisherMetrics {
  private readonly deliveries: Counter<'kind' | 'outcome'>;
  private readonly attempts: Counter<'kind' | 'attempt'>;
  private readonly duration: Histogram<'kind'>;
  private readonly eventToDelivery: Histogram<'kind'>;
  private readonly batchEvents: Histogram;
  private readonly batchWaits: Counter;
  private readonly rateLimitWaits: Counter;
  private readonly heapPauses: Counter;
  private readonly deadLetters: Counter<'cause'>;
  private readonly deadLetteredEvents: Counter<'cause'>;
  private readonly unreadable: Counter<'topic' | 'reason'>;
  /** Holds released without their retry (see retry/hold-release.ts), by cause. */
  readonly releasedHolds: Counter<'cause'>;
  private heldEndpoints: (() => Promise<Map<string, number>>) | undefined;
  private egressSlots: { inUse: number; waiting: number } | undefined;
  private readonly retryTopics = new Map<string, RetryTopicGauges>();

  constructor(registry: Registry) {
    this.deliveries = new Counter({ name: 'tidings_publisher_deliveries_total', help: 'Delivery attempts, by kind and outcome (delivered, failed, gone)', labelNames: ['kind', 'outcome'] as const, registers: [registry] });
    this.attempts = new Counter({ name: 'tidings_publisher_delivery_attempts_total', help: 'Delivery attempts by attempt number (1 = first try)', labelNames: ['kind', 'attempt'] as const, registers: [registry] });
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
    this.batchEvents = new Histogram({ name: 'tidings_publisher_batch_events', help: 'Events per batch sent (first attempts)', buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500], registers: [registry] });
    this.batchWaits = new Counter({
      name: 'tidings_publisher_batch_waits_total',
      help: 'Times a batch that was not full gave its egress connection to another endpoint to wait for company (BATCH_LINGER_MS)',
      registers: [registry],
    });
    this.heapPauses = new Counter({
      name: 'tidings_publisher_lanes_heap_pauses_total',
      help: 'Times the heap passed LANES_PAUSE_AT_HEAP_PERCENT and the payload partitions stopped fetching until it was ten points below',
      registers: [registry],
    });
    this.rateLimitWaits = new Counter({
      name: 'tidings_publisher_rate_limit_waits_total',
      help: "Times a chat endpoint's batch waited for the provider's rate limit (its events queued, its batch grew)",
      registers: [registry],
    });
    this.deadLetters = new Counter({ name: 'tidings_publisher_dead_lettered_batches_total', help: 'Batches dead-lettered, by cause', labelNames: ['cause'] as const, registers: [registry] });
    this.deadLetteredEvents = new Counter({ name: 'tidings_publisher_dead_lettered_events_total', help: 'Events in dead-lettered batches, by cause', labelNames: ['cause'] as const, registers: [registry] });
    // Every cause starts at 0, so the dead-letters alert (an increase()) sees the first one.
    for (const cause of deadLetterCauseSchema.options) {
      this.deadLetters.inc({ cause }, 0);
      this.deadLetteredEvents.inc({ cause }, 0);
    }
    this.unreadable = new Counter({
      name: 'tidings_publisher_unreadable_records_total',
      help: 'Internal records the publisher could not use, sent to the internal dead letters, by source topic and reason (not_json, invalid)',
      labelNames: ['topic', 'reason'] as const,
      registers: [registry],
    });
    this.releasedHolds = new Counter({
      name: 'tidings_publisher_released_holds_total',
      help: 'Held endpoints released without their retry because its record was unreadable or gone (read past by the chain), by cause',
      labelNames: ['cause'] as const,
      registers: [registry],
    });
    const heldEndpoints = () => this.heldEndpoints?.();
    new Gauge({
      name: 'tidings_publisher_held_endpoints',
      help: 'Endpoints whose deliveries wait behind a batch in the retry chain, by hold state',
      labelNames: ['state'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        const counts = await heldEndpoints()?.catch(() => undefined);
        for (const state of HOLD_STATES) this.set({ state }, counts?.get(state) ?? (counts ? 0 : Number.NaN));
      },
    });
    const egressSlots = () => this.egressSlots;
    new Gauge({
      name: 'tidings_publisher_egress_requests',
      help: 'Requests to the egress proxy: sending (holding one of DELIVERY_CONCURRENCY connections) or waiting for one',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const slots = egressSlots();
        this.set({ state: 'sending' }, slots?.inUse ?? 0);
        this.set({ state: 'waiting' }, slots?.waiting ?? 0);
      },
    });
    const topics = this.retryTopics;
    new Gauge({
      name: 'tidings_publisher_retry_backlog',
      help: 'Records in a retry topic not yet consumed',
      labelNames: ['topic'] as const,
      registers: [registry],
      async collect() {
        for (const [topic, gauges] of topics) this.set({ topic }, await gauges.backlog().catch(() => Number.NaN));
      },
    });
    new Gauge({
      name: 'tidings_publisher_retry_oldest_due_age_seconds',
      help: 'How long the oldest due record of a retry topic has waited past its due time (0: none overdue)',
      labelNames: ['topic'] as const,
      registers: [registry],
      collect() {
        for (const [topic, gauges] of topics) this.set({ topic }, gauges.oldestDueAgeSeconds());
      },
    });
  }

  attempt(kind: DeliveryKind, attempt: number, result: AttemptOutcome, events: WebhookEvent[]): void {
    this.deliveries.inc({ kind, outcome: result.outcome });
    this.attempts.inc({ kind, attempt: String(attempt) });
    this.duration.observe({ kind }, result.latencyMs / 1000);
    if (result.outcome !== 'delivered') return;
    const now = Date.now();
    for (const e of events) this.eventToDelivery.observe({ kind }, Math.max(0, (now - Date.parse(e.timestamp)) / 1000));
  }

  batchFormed(events: number): void {
    this.batchEvents.observe(events);
  }

  heapPaused(): void {
    this.heapPauses.inc();
  }

  batchWaited(reason: 'company' | 'rateLimit'): void {
    (reason === 'company' ? this.batchWaits : this.rateLimitWaits).inc();
  }

  deadLettered(cause: DeadLetterCause, events: number): void {
    this.deadLetters.inc({ cause });
    this.deadLetteredEvents.inc({ cause }, events);
  }

  unreadableRecord(topic: string, reason: string): void {
    this.unreadable.inc({ topic, reason });
  }

  /** Read at scrape time: the count of holds by state (the same on every instance). */
  watchHolds(countByState: () => Promise<Map<string, number>>): void {
    this.heldEndpoints = countByState;
  }

  /** Read at scrape time: this instance's requests to the egress, sending and waiting. */
  watchEgressSlots(slots: { inUse: number; waiting: number }): void {
    this.egressSlots = slots;
  }

  watchRetryTopic(topic: string, gauges: RetryTopicGauges): void {
    this.retryTopics.set(topic, gauges);
  }
}
