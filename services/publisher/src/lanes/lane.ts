import { ROOT_CONTEXT, context } from '@opentelemetry/api';
import type { QueuedItem } from './queued-item';

interface SerialStep {
  work: () => Promise<void>;
  onError: (error: unknown) => void;
}

/** One endpoint's lane on this instance: at most one batch in flight, the rest queued in order. */
export class Lane {
  readonly queue: QueuedItem[] = [];
  inFlight = false;
  /** Items come from the waiting table (a drain) rather than from the topic. */
  draining = false;
  /** The partition was revoked: whatever is in flight finishes, but its outcome is not acted on. */
  abandoned = false;
  /**
   * This endpoint's state changes (hold, parking, drain steps), run one at a time in arrival
   * order. A plain array rather than a promise chain: under fan-out a lane may hold thousands of
   * waiting steps, and a chain costs two promises and their reactions for each (issue 16).
   */
  private readonly steps: (SerialStep | undefined)[] = [];
  private head = 0;
  private running: Promise<void> | undefined;

  constructor(
    readonly endpointId: string,
    readonly partition: number,
  ) {}

  /**
   * Runs `work` after every step queued before it. Steps run outside any caller's trace
   * context (a step that wants one sets it): a waiting step must not keep a span alive.
   */
  serially(work: () => Promise<void>, onError: (error: unknown) => void): void {
    this.steps.push({ work, onError });
    this.running ??= context.with(ROOT_CONTEXT, () => Promise.resolve().then(() => this.runSteps()));
  }

  /** Resolves once no step is queued or running. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async runSteps(): Promise<void> {
    try {
      while (this.head < this.steps.length) {
        const step = this.steps[this.head]!;
        this.steps[this.head++] = undefined; // let it go while later steps wait
        try {
          await step.work();
        } catch (error) {
          step.onError(error);
        }
        this.dropFinished();
      }
    } finally {
      this.running = undefined;
    }
  }

  /** Drops the finished front of `steps` once it is empty or the front is most of it. */
  private dropFinished(): void {
    if (this.head < this.steps.length && (this.head < 1024 || this.head * 2 < this.steps.length)) return;
    this.steps.splice(0, this.head);
    this.head = 0;
  }
}
