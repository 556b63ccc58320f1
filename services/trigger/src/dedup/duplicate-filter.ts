import { DEDUP_WINDOW_MS, type ResolvedConsumer } from '@tidings/contracts';
import { TopicReplayer, type ConsumedRecord } from '@tidings/kafka';
import type { Logger } from '@tidings/telemetry';
import type { Kafka } from 'kafkajs';

/**
 * Which domain events (by `source` + `id`) were routed in the last 24 hours. The truth is the
 * dedup log, written in the same transaction as the payloads; every trigger instance follows
 * all of it, so a partition that moves between instances keeps its history: `sync()` when a
 * partition is taken over makes everything its previous owner committed visible.
 */
export class DuplicateFilter {
  private readonly seen = new Map<string, number>();
  private replayer: TopicReplayer | undefined;
  private pruner: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly windowMs = DEDUP_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async start(kafka: Kafka, declared: ResolvedConsumer): Promise<void> {
    this.replayer = new TopicReplayer(kafka, { declared, logger: this.logger, onRecord: (r) => this.ingest(r) });
    await this.replayer.start();
    this.pruner = setInterval(() => this.prune(), 60_000).unref();
    this.logger.info({ remembered: this.seen.size }, 'duplicate filter ready');
  }

  async sync(): Promise<void> {
    await this.replayer?.sync();
  }

  async stop(): Promise<void> {
    clearInterval(this.pruner);
    await this.replayer?.stop();
  }

  isDuplicate(key: string): boolean {
    const at = this.seen.get(key);
    return at !== undefined && this.now() - at < this.windowMs;
  }

  remember(key: string, at: number): void {
    if (this.now() - at >= this.windowMs) return;
    this.seen.set(key, Math.max(at, this.seen.get(key) ?? 0));
  }

  /** Forgets what fell out of the window; the log's retention drops it there too. */
  prune(): void {
    const horizon = this.now() - this.windowMs;
    for (const [key, at] of this.seen) if (at <= horizon) this.seen.delete(key);
  }

  /** The dedup topic's partition count (known once started). */
  get partitions(): number {
    return this.replayer?.partitions ?? 0;
  }

  get size(): number {
    return this.seen.size;
  }

  private ingest(record: ConsumedRecord): void {
    const at = Number(JSON.parse(record.value?.toString('utf8') ?? '{}').seenAt);
    if (record.key !== null && Number.isFinite(at)) this.remember(record.key, at);
  }
}
