import type { WebhookEvent } from '@tidings/contracts';

/**
 * One object per distinct event, however many lanes hold it. A fan-out writes the same event
 * once per endpoint; read back, 10,000 endpoints' payloads of one event were 10,000 copies in
 * memory (issue 16: the publisher's peak RSS under fan-out). Entries are weak, so an event
 * lives exactly as long as some lane holds it; the key is the event's JSON, so only identical
 * events are ever shared.
 */
export class EventInterner {
  private readonly live = new Map<string, WeakRef<WebhookEvent>>();
  private readonly collected = new FinalizationRegistry<string>((json) => {
    if (this.live.get(json)?.deref() === undefined) this.live.delete(json);
  });

  /** The shared copy of `event` (registering this one if none is alive), and its JSON size in bytes. */
  intern(event: WebhookEvent): { event: WebhookEvent; bytes: number } {
    const json = JSON.stringify(event);
    const bytes = Buffer.byteLength(json);
    const known = this.live.get(json)?.deref();
    if (known) return { event: known, bytes };
    this.live.set(json, new WeakRef(event));
    this.collected.register(event, json);
    return { event, bytes };
  }

  /** Distinct events alive (or not yet collected). */
  get size(): number {
    return this.live.size;
  }
}
