import type { Consumer, Kafka } from 'kafkajs';
import type { ResolvedConsumer } from '@tidings/contracts';
import type { Logger } from '@tidings/telemetry';
import { toConsumedRecord, type ConsumedRecord } from './consumed-record';
import { ConsumerDeclarationError, openDeclaredConsumer } from './declared-consumer';
import { EndOffsets, type PartitionEnd } from './end-offsets';

type PartitionEnds = PartitionEnd[];

export interface TopicReplayerOptions {
  /**
   * A `replay` declaration with one topic: each replayer joins a throw-away group of its own
   * (the declared group id plus a random suffix), so every instance reads the whole log.
   */
  declared: ResolvedConsumer;
  onRecord: (record: ConsumedRecord) => void;
  logger: Logger;
}

/**
 * Reads a log topic from the beginning and then follows its tail, handing every record to
 * `onRecord` in partition order. `start()` resolves once the records that existed when it was
 * called have all been handed over, so a service can build its view before it serves.
 * Offsets are never committed: the view lives in memory and is rebuilt on every boot.
 */
export class TopicReplayer {
  private readonly consumer: Consumer;
  private readonly subscribe: () => Promise<void>;
  private readonly topic: string;
  /** Kept connected: sync() asks for end offsets on every call. */
  private readonly ends: EndOffsets;
  /** Per partition, the offset of the next record to hand over. */
  private readonly next = new Map<number, bigint>();
  /** sync() calls waiting for the position to reach their target, told on every advance. */
  private readonly waiters = new Set<() => void>();
  /** The end-offsets request under way, and the one queued behind it (see `endOffsets`). */
  private asking: Promise<PartitionEnds> | undefined;
  private queued: Promise<PartitionEnds> | undefined;
  /** The topic's partition count at the last sync (known once start() resolved). */
  partitions = 0;

  constructor(
    kafka: Kafka,
    private readonly options: TopicReplayerOptions,
  ) {
    const [topic] = options.declared.topics;
    if (options.declared.mode !== 'replay' || topic === undefined || options.declared.topics.length > 1) {
      throw new ConsumerDeclarationError(`${options.declared.name}: a replayer follows one topic under a replay declaration`);
    }
    this.topic = topic;
    this.ends = new EndOffsets(kafka, this.topic);
    ({ consumer: this.consumer, subscribe: this.subscribe } = openDeclaredConsumer(kafka, options.declared, { handledTopics: [topic], logger: options.logger }));
  }

  async start(): Promise<void> {
    const { topic } = this;
    const { logger } = this.options;
    await this.ends.connect();
    await this.consumer.connect();
    // Batches holding only transaction markers or aborted records never reach eachMessage, but
    // they move the position; kafkajs reports them (and every other batch) here.
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) => this.advance(payload.partition, payload.lastOffset));
    await this.subscribe();
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        this.options.onRecord(toConsumedRecord(topic, partition, message));
        this.advance(partition, message.offset);
      },
    });
    await this.sync(300_000);
    logger.info({ topic }, 'replayed log topic; following its tail');
  }

  /**
   * Resolves once every record that is in the topic now (committed, for transactional
   * writers) has been handed over: a barrier that lets a caller act on "everything written
   * before this moment".
   */
  async sync(timeoutMs = 10_000): Promise<void> {
    const ends = await this.endOffsets();
    this.partitions = ends.length;
    const caughtUp = () => ends.every((p) => p.high <= (this.next.get(p.partition) ?? p.low ?? 0n));
    if (caughtUp()) return;
    // Woken by the replayer's own progress, not by polling: the trigger syncs before every batch.
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const check = () => {
        if (caughtUp()) done();
      };
      const timer = setTimeout(() => done(new Error(`${this.topic} not caught up within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.add(check);
    });
  }

  /**
   * The topic's end offsets, read after this call began. Concurrent callers share requests: one
   * that arrives while a request is under way joins the next one (which starts when the current
   * answers), never the current, which may predate it. The trigger syncs before every batch of
   * its six partitions; this keeps that to about one request at a time.
   */
  private endOffsets(): Promise<PartitionEnds> {
    const current = this.asking;
    if (current) {
      this.queued ??= current
        .catch(() => undefined)
        .then(() => {
          this.queued = undefined;
          if (this.asking === current) this.asking = undefined;
          return this.endOffsets();
        });
      return this.queued;
    }
    // The first offset matters only where nothing was handed over yet (an emptied partition).
    const asking = this.ends.read((partition) => !this.next.has(partition));
    this.asking = asking;
    const done = () => {
      if (this.asking === asking) this.asking = undefined;
    };
    asking.then(done, done);
    return asking;
  }

  private advance(partition: number, offset: string): void {
    const next = BigInt(offset) + 1n;
    if (next <= (this.next.get(partition) ?? 0n)) return;
    this.next.set(partition, next);
    for (const check of [...this.waiters]) check();
  }

  async stop(): Promise<void> {
    await Promise.all([this.consumer.disconnect(), this.ends.disconnect()]);
  }
}
