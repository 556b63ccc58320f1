import { ROOT_CONTEXT, context, trace } from '@opentelemetry/api';
import { retryRecordSchema, type ResolvedConsumer, type RetryRecord } from '@tidings/contracts';
import { consumerGroupLag, decodeJsonRecord, openDeclaredConsumer, startProcessSpan, toConsumedRecord, type ConsumedRecord, type Decoded } from '@tidings/kafka';
import { fromTraceparent, recordFailure, type Logger } from '@tidings/telemetry';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { PublisherMetrics } from '../delivery/publisher-metrics';
import type { RetryHandler } from './retry-handler';
import type { UnreadableRetries } from './unreadable-retries';

/** Due retries of one partition handled at once (one at a time per endpoint). */
const CONCURRENCY = 16;

/** A record as fetched, decoded once. */
interface DueRecord {
  consumed: ConsumedRecord;
  decoded: Decoded<RetryRecord>;
}

/**
 * Consumes the retry topics. A record is never handled before its due time: at the first
 * record not yet due, the partition is paused until then (the consumer keeps heartbeating, so
 * it stays in the group) and the record is fetched again on resume. Other partitions, and so
 * other endpoints, go on. On every assignment all pauses are dropped and recomputed from the
 * records' own due times, so rebalances and restarts lose no schedule.
 */
export class RetryChainConsumer {
  private readonly consumer: Consumer;
  private readonly subscribe: () => Promise<void>;
  private readonly admin: Admin;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Due time of the record each partition waits on or is handling (for the overdue gauge). */
  private readonly heads = new Map<string, { topic: string; dueAt: number }>();

  constructor(
    kafka: Kafka,
    /** `declared`: the retry topics (one per delay) and the chain's group, from `CONSUMERS`. */
    private readonly options: { declared: ResolvedConsumer; handler: RetryHandler; unreadable: UnreadableRetries; metrics: PublisherMetrics; logger: Logger },
  ) {
    ({ consumer: this.consumer, subscribe: this.subscribe } = openDeclaredConsumer(kafka, options.declared, { handledTopics: options.declared.topics, logger: options.logger }));
    this.admin = kafka.admin();
  }

  get declared(): ResolvedConsumer {
    return this.options.declared;
  }

  async start(): Promise<void> {
    const { declared: { topics }, logger } = this.options;
    if (topics.length === 0) return;
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => this.recomputePauses());
    await this.admin.connect();
    await this.consumer.connect();
    await this.subscribe();
    for (const name of topics) {
      this.options.metrics.watchRetryTopic(name, { backlog: () => this.backlog(name), oldestDueAgeSeconds: () => this.oldestDueAge(name) });
    }
    await this.consumer.run({
      autoCommit: true,
      autoCommitInterval: 1_000,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.min(6, topics.length * 3),
      eachBatch: async ({ batch, resolveOffset, heartbeat, pause, isRunning, isStale, commitOffsetsIfNecessary }) => {
        const key = `${batch.topic}:${batch.partition}`;
        if (this.timers.has(key)) return; // paused; a prefetched batch is re-read on resume
        // Decoded once: the due time decides, and the handler takes the record as read.
        const due: DueRecord[] = [];
        for (const message of batch.messages) {
          const consumed = toConsumedRecord(batch.topic, batch.partition, message);
          const decoded = decodeJsonRecord(consumed, retryRecordSchema);
          // An unreadable record has no due time: it is dead-lettered at once, releasing the hold waiting on it.
          const dueAt = decoded.ok ? Date.parse(decoded.value.dueAt) : 0;
          if (dueAt > Date.now()) {
            this.heads.set(key, { topic: batch.topic, dueAt });
            pause();
            this.timers.set(key, setTimeout(() => this.resume(batch.topic, batch.partition), dueAt - Date.now()));
            break;
          }
          if (due.length === 0) this.heads.set(key, { topic: batch.topic, dueAt });
          due.push({ consumed, decoded });
        }
        if (due.length === 0) return;
        const beat = setInterval(() => void heartbeat().catch(() => undefined), 3_000);
        try {
          await this.handleInParallel(due, () => isRunning() && !isStale());
        } finally {
          clearInterval(beat);
        }
        if (!isRunning() || isStale()) return;
        resolveOffset(due.at(-1)!.consumed.offset);
        if (!this.timers.has(key)) this.heads.delete(key);
        await commitOffsetsIfNecessary();
        logger.debug({ topic: batch.topic, partition: batch.partition, handled: due.length }, 'retries handled');
      },
    });
  }

  async stop(): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    if (this.options.declared.topics.length === 0) return;
    await this.consumer.disconnect();
    await this.admin.disconnect();
  }

  /** Handles due records with bounded concurrency; one endpoint's records stay in order. */
  private async handleInParallel(records: DueRecord[], active: () => boolean): Promise<void> {
    const byEndpoint = new Map<string, DueRecord[]>();
    for (const r of records) byEndpoint.set(r.consumed.key ?? '', [...(byEndpoint.get(r.consumed.key ?? '') ?? []), r]);
    const chains = [...byEndpoint.values()];
    const worker = async () => {
      for (let chain = chains.shift(); chain; chain = chains.shift()) {
        for (const record of chain) {
          if (!active()) return;
          await this.handleOne(record);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, chains.length) }, worker));
  }

  /**
   * One retry, in a trace of its own (the first attempt may be a day old): its CONSUMER span
   * links to the batch's first attempt and to the record's producer, and names the endpoint,
   * batch and attempt.
   */
  private async handleOne({ consumed, decoded }: DueRecord): Promise<void> {
    if (!decoded.ok) return this.options.unreadable.handle(consumed, decoded.reason);
    const r = decoded.value;
    const origin = fromTraceparent(r.originTraceparent);
    const span = startProcessSpan(consumed, {
      groupId: this.options.declared.groupId,
      newTrace: true,
      links: origin ? [{ context: origin, attributes: { 'tidings.link.kind': 'first_attempt' } }] : [],
      attributes: { 'tidings.endpoint.id': r.endpointId, 'tidings.batch.id': r.batch.id, 'tidings.attempt': r.attempt, 'tidings.retry.due_at': r.dueAt },
    });
    try {
      await context.with(trace.setSpan(ROOT_CONTEXT, span), () => this.options.handler.handle(r, consumed.topic));
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  private resume(topic: string, partition: number): void {
    this.timers.delete(`${topic}:${partition}`);
    this.consumer.resume([{ topic, partitions: [partition] }]);
  }

  private recomputePauses(): void {
    const paused = this.consumer.paused();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.heads.clear();
    if (paused.length > 0) this.consumer.resume(paused);
    this.options.logger.info({ resumed: paused.length }, 'retry topics assigned; waits are recomputed from due times');
  }

  private oldestDueAge(topic: string): number {
    const now = Date.now();
    let oldest = 0;
    for (const head of this.heads.values()) if (head.topic === topic && head.dueAt < now) oldest = Math.max(oldest, (now - head.dueAt) / 1000);
    return oldest;
  }

  private async backlog(topic: string): Promise<number> {
    const [lag] = await consumerGroupLag(this.admin, this.options.declared.groupId, [topic]);
    return lag?.lag ?? 0;
  }
}
