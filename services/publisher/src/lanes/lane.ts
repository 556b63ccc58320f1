import type { QueuedItem } from './queued-item';

/** One endpoint's lane on this instance: at most one batch in flight, the rest queued in order. */
export class Lane {
  readonly queue: QueuedItem[] = [];
  inFlight = false;
  /** Items come from the waiting table (a drain) rather than from the topic. */
  draining = false;
  /** The partition was revoked: whatever is in flight finishes, but its outcome is not acted on. */
  abandoned = false;
  /** Serialises this endpoint's state changes (hold, parking, drain steps) in arrival order. */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly endpointId: string,
    readonly partition: number,
  ) {}

  serially(work: () => Promise<void>, onError: (error: unknown) => void): void {
    this.tail = this.tail.then(work).catch(onError);
  }

  idle(): Promise<void> {
    return this.tail;
  }
}
