import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import type { Random } from './random';

/** A domain event the broker acknowledged, in the order its tailnet's partition holds it. */
export interface ProducedEvent {
  id: string;
  tailnet: string;
  type: string;
  /** Acknowledged at (ms since epoch). */
  at: number;
}

const TYPES = ['nodeCreated', 'nodeApproved', 'nodeNeedsApproval', 'userCreated', 'policyUpdate'] as const;

/**
 * A control plane producing domain events at a steady rate, one at a time so each tailnet's
 * order is the acknowledged order, through broker outages (a failed send is sent again until
 * acknowledged; a send that failed after being written is then a duplicate the trigger must
 * suppress). Now and then it sends an earlier event again on purpose, and on request a burst
 * of unusable records.
 */
export class EventSource {
  readonly produced: ProducedEvent[] = [];
  duplicatesSent = 0;
  badSent = 0;
  sendRetries = 0;
  private producer: Producer | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly tailnets: string[],
    private readonly random: Random,
    private readonly ratePerSecond: number,
  ) {}

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    await this.producer?.disconnect().catch(() => undefined);
  }

  /** Unusable records (not JSON, not a CloudEvent, an unknown type), which must reach the DLQ. */
  async sendBad(count: number): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      const tailnet = this.random.pick(this.tailnets);
      const value = this.random.pick([`{"specversion": "1.0", ${i}`, JSON.stringify({ specversion: '1.0', id: randomUUID(), source: '//chaos', type: 'nodeExploded', time: new Date().toISOString(), tailnet, data: {} }), '\u0000\u0001garbage']);
      await this.send(tailnet, value);
      this.badSent += 1;
    }
  }

  private async loop(): Promise<void> {
    const interval = 1_000 / this.ratePerSecond;
    let next = performance.now();
    while (!this.stopped) {
      const duplicate = this.produced.length > 10 && this.random.chance(0.05);
      const event = duplicate ? this.produced[this.produced.length - 1 - Math.floor(this.random.next() * 10)]! : { id: randomUUID(), tailnet: this.random.pick(this.tailnets), type: this.random.pick(TYPES), at: 0 };
      await this.send(event.tailnet, JSON.stringify(cloudEvent(event)));
      if (duplicate) this.duplicatesSent += 1;
      else this.produced.push({ ...event, at: Date.now() });
      next += interval;
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else next = performance.now(); // behind after an outage: carry on at the rate, no burst
    }
  }

  /** Sends until the broker acknowledges (a broker restart takes seconds). */
  private async send(key: string, value: string): Promise<void> {
    for (;;) {
      try {
        this.producer ??= await this.connect();
        await this.producer.send({ topic: this.topic, acks: -1, messages: [{ key, value }] });
        return;
      } catch {
        this.sendRetries += 1;
        const stale = this.producer;
        this.producer = undefined;
        await stale?.disconnect().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async connect(): Promise<Producer> {
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 3 } });
    await producer.connect();
    return producer;
  }
}

function cloudEvent(event: Omit<ProducedEvent, 'at'>): Record<string, unknown> {
  const node = { nodeID: `n-${event.id.slice(0, 8)}`, deviceName: 'chaos-device', managedBy: 'ops@chaos', actor: 'ops@chaos' };
  const user = { user: 'u@chaos', userID: 'u1', actor: 'ops@chaos' };
  const data = event.type.startsWith('node') ? node : event.type === 'policyUpdate' ? { actor: 'ops@chaos' } : user;
  return { specversion: '1.0', id: event.id, source: '//control.chaos', type: event.type, time: new Date().toISOString(), tailnet: event.tailnet, data };
}
