import type { Consumer } from 'kafkajs';
import type { Logger } from '@tidings/telemetry';

/**
 * How often a consumer commits what its handlers finished. kafkajs commits after every fetched
 * batch whatever its `autoCommitInterval` says: under load that was an OffsetCommit per fetch
 * (issue 16: 56 a second from one projection at 200 events/s, each a write to the offsets log).
 */
export const COMMIT_INTERVAL_MS = 1_000;

/**
 * The next offset to read per partition, moved only when a handler resolved, and committed on
 * a timer and once more on a graceful stop. Handlers are idempotent (at least once): what
 * finished after the last commit is read again after a crash or a move, never skipped.
 */
export class HandledOffsets {
  /** `topic` → partition → next offset, not yet committed. */
  private readonly pending = new Map<string, Map<number, string>>();
  private timer: NodeJS.Timeout | undefined;
  private committing: Promise<void> = Promise.resolve();

  constructor(
    private readonly consumer: Consumer,
    private readonly logger: Logger,
  ) {
    // A partition that moved is its new owner's to commit; ours would only move it back.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      for (const [topic, partitions] of this.pending) {
        const owned = new Set(payload.memberAssignment[topic] ?? []);
        for (const partition of [...partitions.keys()]) if (!owned.has(partition)) partitions.delete(partition);
      }
    });
    // A fetch of nothing but transaction markers reaches no handler; stepping over it keeps the
    // group's lag at zero when the topic is idle.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0) this.handled(payload.topic, payload.partition, payload.lastOffset);
    });
  }

  /** Everything up to and including `offset` is handled. */
  handled(topic: string, partition: number, offset: string): void {
    let partitions = this.pending.get(topic);
    if (!partitions) this.pending.set(topic, (partitions = new Map()));
    partitions.set(partition, (BigInt(offset) + 1n).toString());
  }

  start(): void {
    this.timer = setInterval(() => void this.commit(), COMMIT_INTERVAL_MS);
    this.timer.unref();
  }

  /** Commits what is pending, one commit at a time. */
  commit(): Promise<void> {
    this.committing = this.committing.then(async () => {
      const offsets = [...this.pending].flatMap(([topic, partitions]) => [...partitions].map(([partition, offset]) => ({ topic, partition, offset })));
      if (offsets.length === 0) return;
      this.pending.clear();
      // Failed only when the group moved: the partitions are read again from their last commit.
      await this.consumer.commitOffsets(offsets).catch((error: unknown) => this.logger.debug({ err: error }, 'offset commit skipped (rebalancing)'));
    });
    return this.committing;
  }

  /** The last commit, for a graceful stop: after it, the group is left. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.commit();
  }
}
