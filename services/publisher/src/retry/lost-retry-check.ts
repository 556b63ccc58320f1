import type { ResolvedConsumer } from '@tidings/contracts';
import type { Logger } from '@tidings/telemetry';
import type { Admin, Kafka } from 'kafkajs';
import type { DeliveryHoldsRepository } from '../holds/delivery-holds.repository';
import type { HoldRelease } from './hold-release';

/** Holds looked at per check, oldest first; the rest wait for the next check. */
const MAX_HOLDS_PER_CHECK = 1_000;

/**
 * The length of the prefix of `items` for which `passed` holds, given that it holds for a
 * prefix (the items are in time order and a later time is never passed before an earlier
 * one): a binary search, so a check asks the brokers O(log n) times per topic.
 */
export async function passedPrefix<T>(items: readonly T[], passed: (item: T) => Promise<boolean>): Promise<number> {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (await passed(items[mid]!)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The chain's committed position on one retry topic, per partition (the log start where it has none). */
interface TopicPosition {
  topic: string;
  committed: Map<number, bigint>;
}

/**
 * The lost-retry rule. A hold `retrying` waits for its retry record; the record can be gone:
 * unreadable and keyed by nothing, deleted by retention while the chain was down, or in the
 * topic of a delay the schedule no longer has. A hold is released (as after an unreadable
 * record: its waiting events drain, the batch is lost to the chain) once the chain's group
 * has committed, on every retry topic it reads, past every record written up to the hold's
 * last change plus `graceMs`: the chain commits a record only after handling it, and handling
 * the hold's record would have changed the hold. `graceMs` covers the clock difference
 * between the publisher (record timestamps) and PostgreSQL (the hold's `updated_at`).
 */
export class LostRetryCheck {
  private readonly admin: Admin;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    kafka: Kafka,
    private readonly deps: { chain: ResolvedConsumer; holds: DeliveryHoldsRepository; release: HoldRelease; every: { intervalMs: number; graceMs: number }; logger: Logger },
  ) {
    this.admin = kafka.admin();
  }

  async start(): Promise<void> {
    await this.admin.connect();
    this.timer = setInterval(() => {
      // One check at a time; a slow one makes the next wait for the following tick.
      this.running = this.running.then(() => this.check()).catch((error: unknown) => this.deps.logger.warn({ err: error }, 'lost-retry check failed; trying again later'));
    }, this.deps.every.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.admin.disconnect();
  }

  /** One check: releases the holds whose retry record is gone; returns how many. */
  async check(now = new Date()): Promise<number> {
    const { holds, release, every } = this.deps;
    const candidates = await holds.retryingSince(new Date(now.getTime() - every.graceMs), MAX_HOLDS_PER_CHECK);
    if (candidates.length === 0) return 0;
    let gone = candidates.length;
    for (const topic of this.deps.chain.topics) {
      const position = await this.position(topic);
      gone = await passedPrefix(candidates.slice(0, gone), ({ since }) => this.passed(position, new Date(since.getTime() + every.graceMs)));
      if (gone === 0) return 0;
    }
    let released = 0;
    for (const { hold, since } of candidates.slice(0, gone)) {
      const why = (batchId: string, attempt: number) =>
        `the retry record of batch ${batchId} (attempt ${attempt}) is gone: the retry chain read past every record written before ${new Date(since.getTime() + every.graceMs).toISOString()} without it (unreadable without a key, deleted by retention, or in a topic the schedule no longer has)`;
      if (await release.release(hold.endpointId, { kind: 'retryUnreadable', batchId: hold.batchId, attempt: hold.attempt }, 'record_gone', why)) released += 1;
    }
    return released;
  }

  private async position(topic: string): Promise<TopicPosition> {
    const [[group], ends] = await Promise.all([this.admin.fetchOffsets({ groupId: this.deps.chain.groupId, topics: [topic] }), this.admin.fetchTopicOffsets(topic)]);
    const committed = new Map<number, bigint>();
    for (const { partition, low } of ends) {
      const offset = BigInt(group?.partitions.find((p) => p.partition === partition)?.offset ?? '-1');
      // No commit yet, or a commit retention has overtaken: the group (re)starts at the log
      // start, and what was before it is gone either way.
      committed.set(partition, offset > BigInt(low) ? offset : BigInt(low));
    }
    return { topic, committed };
  }

  /** Has the chain committed past every record of the topic written before `at`? */
  private async passed({ topic, committed }: TopicPosition, at: Date): Promise<boolean> {
    const targets = await this.admin.fetchTopicOffsetsByTimestamp(topic, at.getTime());
    return targets.every(({ partition, offset }) => (committed.get(partition) ?? -1n) >= BigInt(offset));
  }
}
