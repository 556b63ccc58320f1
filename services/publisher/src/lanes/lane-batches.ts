import { chatFormat, rateLimitInForce, type ChatFormat } from '@tidings/chat-formats';
import type { DeliveryBatch, RateLimit } from '@tidings/contracts';
import { TokenBuckets } from '@tidings/token-buckets';
import type { EndpointState } from '@tidings/endpoint-directory';
import { takeBatch, type BatchLimits } from './batch-former';
import { replayIntent, type BatchIntent, type BatchIntents } from './batch-intents';
import type { Lane } from './lane';


/** The batch at the head of a lane, and the intent it goes out under. */
export interface NextBatch {
  batch: DeliveryBatch;
  taken: number;
  /** Formed again from an intent recorded before (by this instance or the partition's last owner). */
  replayed?: BatchIntent;
}

/**
 * Which batch a lane sends next, and when: one formed before, re-formed exactly as it was (same
 * id and body), or a new one that stops before any record another unsettled batch claims; not
 * before its chat provider's rate limit allows.
 */
export class LaneBatches {
  private readonly rates = new TokenBuckets();

  constructor(
    private readonly intents: BatchIntents,
    private readonly defaults: BatchLimits,
    /** The endpoint's provider (a chat provider caps a batch at what one message carries), own rate limit, and whether it is a relay output. */
    private readonly endpointOf: (endpointId: string) => Pick<EndpointState, 'providerType' | 'rateLimit' | 'relay'> | undefined,
  ) {}

  /**
   * How long the lane's endpoint must wait before its next request, under its rate limit (its
   * own, else its chat provider's; 0: it may send now). Meanwhile its events queue and its next batch grows.
   */
  limitedForMs(lane: Lane, now: number): number {
    const limit = this.rateLimit(lane);
    return limit ? this.rates.waitMs(lane.endpointId, limit, now) : 0;
  }

  /** A batch of the lane goes out now: it counts against the endpoint's rate limit. */
  sending(lane: Lane, now: number): void {
    const limit = this.rateLimit(lane);
    if (limit) this.rates.spend(lane.endpointId, limit, now);
  }

  /**
   * The batch limits of the lane's endpoint: the defaults, within its chat provider's message
   * cap. A relay output's batch is one request: each is retried (and dead-lettered) on its own,
   * never sent again because a later one in its batch failed.
   */
  limits(lane: Lane): BatchLimits {
    if (this.endpointOf(lane.endpointId)?.relay) return { ...this.defaults, maxEvents: 1 };
    const format = this.format(lane);
    return format && format.maxEvents < this.defaults.maxEvents ? { ...this.defaults, maxEvents: format.maxEvents } : this.defaults;
  }

  /** `wait`: the head starts a batch formed before whose other records are still being read again. */
  next(lane: Lane, now: number): NextBatch | 'wait' | undefined {
    const head = lane.queue[0];
    const intent = head && this.intents.startingAt(lane.endpointId, head.origin);
    if (intent) {
      const replay = replayIntent(lane.queue, intent, now);
      if (replay === 'wait') return 'wait';
      if (replay !== 'stale') return { batch: replay.ready, taken: replay.taken, replayed: intent };
      this.intents.forget(intent);
    }
    const claimed = lane.queue.findIndex((item, i) => i > 0 && this.intents.claims(lane.endpointId, item.origin));
    return takeBatch(claimed > 0 ? lane.queue.slice(0, claimed) : lane.queue, this.limits(lane));
  }

  /**
   * The intent a new batch claims before its first POST, so a re-read re-forms it. None for a
   * replayed one (claimed already), nor for drained items (no offsets: they are in Postgres).
   */
  intentOf(lane: Lane, next: NextBatch, taken: Lane['queue']): BatchIntent | undefined {
    if (next.replayed) return next.replayed;
    const offsets = taken.map((i) => i.offset);
    if (offsets.some((o) => o === undefined)) return undefined;
    return { endpointId: lane.endpointId, batchId: next.batch.id, partition: lane.partition, offsets: offsets as number[] };
  }

  /** The chat format of the lane's endpoint; none for a native endpoint. */
  private format(lane: Lane): ChatFormat | undefined {
    return chatFormat(this.endpointOf(lane.endpointId)?.providerType ?? '');
  }

  private rateLimit(lane: Lane): RateLimit | null {
    const endpoint = this.endpointOf(lane.endpointId);
    return endpoint ? rateLimitInForce(endpoint.providerType, endpoint.rateLimit) : null;
  }
}
