import { verifyWebhook, type ReceivedWebhook, type WebhookReceiver } from '@tidings/testing';

interface Watched {
  secret: string;
  standardWebhooksSecret: string;
}

/**
 * Reads every webhook as it arrives at the HTTPS receiver, verifies both signatures as a
 * customer would, and records each event's delivery latency: from the moment its domain event
 * was handed to Kafka to the moment the verified POST carrying it arrived.
 */
export class DeliveryProbe {
  private readonly watched = new Map<string, Watched>();
  private readonly producedAt = new Map<string, number>();
  private latencies: { path: string; ms: number }[] = [];
  /** When each measured event's POST arrived; kept only while `keepArrivals` (the latency scenarios). */
  readonly arrivedAt = new Map<string, number>();
  keepArrivals = false;
  delivered = 0;
  /** Verified POSTs that carried at least one measured event (delivered / requests = batch size). */
  requests = 0;
  invalid = 0;
  lastAt = 0;

  constructor(receiver: WebhookReceiver) {
    receiver.record = false;
    receiver.onWebhook((w) => this.onWebhook(w));
  }

  watch(path: string, secrets: Watched): void {
    this.watched.set(path, secrets);
  }

  produced(eventId: string, at: number): void {
    this.producedAt.set(eventId, at);
  }

  /** When each event was handed to Kafka. */
  get producedTimes(): ReadonlyMap<string, number> {
    return this.producedAt;
  }

  isProduced(eventId: string): boolean {
    return this.producedAt.has(eventId);
  }

  /** Starts a new measurement: counters and latencies from here on. */
  reset(): void {
    this.delivered = 0;
    this.requests = 0;
    this.invalid = 0;
    this.lastAt = 0;
    this.latencies = [];
    this.arrivedAt.clear();
  }

  latenciesMs(paths?: Set<string>): number[] {
    return this.latencies.filter((l) => !paths || paths.has(l.path)).map((l) => l.ms);
  }

  async until(expected: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.delivered < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return this.delivered >= expected;
  }

  private onWebhook(w: ReceivedWebhook): void {
    const secrets = this.watched.get(w.path);
    if (!secrets || w.status !== 200) return;
    const at = w.receivedAt.getTime();
    const verified = verifyWebhook(w, secrets.secret, secrets.standardWebhooksSecret);
    if (!verified.tailscaleSignatureValid || !verified.standardSignatureValid) {
      this.invalid += 1;
      return;
    }
    let measured = 0;
    for (const event of verified.events as { id: string }[]) {
      const produced = this.producedAt.get(event.id);
      if (produced === undefined) continue;
      measured += 1;
      this.latencies.push({ path: w.path, ms: at - produced });
      if (this.keepArrivals) this.arrivedAt.set(event.id, at);
    }
    this.delivered += measured;
    if (measured > 0) this.requests += 1;
    this.lastAt = Math.max(this.lastAt, at);
  }
}
