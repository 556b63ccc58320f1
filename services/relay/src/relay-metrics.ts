import { Counter, Histogram, type Registry } from 'prom-client';

/** What the relay's public side did: by outcome and status, never by input (unbounded) or content. */
export class RelayMetrics {
  private readonly requests: Counter<'outcome' | 'status'>;
  private readonly bytes: Counter<'outcome'>;
  private readonly duration: Histogram<'outcome'>;

  constructor(registry: Registry) {
    this.requests = new Counter({ name: 'tidings_relay_requests_total', help: 'Requests to relay inputs, by outcome (accepted, refused, unknownInput, tooLarge, notStored) and answered status', labelNames: ['outcome', 'status'] as const, registers: [registry] });
    this.bytes = new Counter({ name: 'tidings_relay_request_body_bytes_total', help: 'Body bytes received by relay inputs, by outcome', labelNames: ['outcome'] as const, registers: [registry] });
    this.duration = new Histogram({
      name: 'tidings_relay_answer_seconds',
      help: 'From a request\'s arrival to its answer (for accepted ones, stored in Kafka first), by outcome',
      labelNames: ['outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
  }

  request(outcome: string, status: number, size: number, ms: number): void {
    this.requests.inc({ outcome, status: String(status) });
    this.bytes.inc({ outcome }, size);
    this.duration.observe({ outcome }, ms / 1000);
  }
}
