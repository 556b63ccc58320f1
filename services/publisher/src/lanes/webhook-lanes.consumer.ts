import type { Consumer, Kafka } from 'kafkajs';
import type { ResolvedConsumer } from '@tidings/contracts';
import type { Logger } from '@tidings/telemetry';
import { openDeclaredConsumer, toConsumedRecord } from '@tidings/kafka';
import type { UnreadableRecords } from '../delivery/unreadable-records';
import type { EndpointLanes } from './endpoint-lanes';
import type { HeapPressure } from './heap-pressure';

const COMMIT_INTERVAL_MS = 1_000;
/** How long a graceful stop waits for deliveries in flight; the rest is re-read by the next owner. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * The consumer-group member behind the lanes: any number of publisher instances share the
 * webhook-events partitions. Fetching never waits for deliveries; offsets are committed up to
 * each partition's first unfinished record, so a crash or a rebalance re-reads, never skips.
 */
export class WebhookLanesConsumer {
  private readonly consumer: Consumer;
  private readonly subscribe: () => Promise<void>;
  private readonly topic: string;
  private ready: Promise<void> = Promise.resolve();
  private commitTimer: NodeJS.Timeout | undefined;
  private readonly paused = new Set<number>();
  /** Per partition, the offset last committed: an unchanged one is not sent again each tick. */
  private readonly committed = new Map<number, number>();
  /** Set while the last take-over failed: batches fail, kafkajs restarts the consumer, it joins again. */
  private takeOverFailed: unknown;
  private heapWasFull = false;

  constructor(
    kafka: Kafka,
    /** `declared`: the payload topic and the lanes' group, from `CONSUMERS`. */
    readonly declared: ResolvedConsumer,
    /**
     * `pauseWhen.pending`: above this many unfinished records a partition stops fetching, until
     * half are done (`LANES_MAX_PENDING_RECORDS`). Each event is held once however many endpoints
     * queue it, so this bounds memory by records, and under a fan-out what a batch can find queued.
     * `pauseWhen.heap`: a partition also stops while the heap is too full, whatever the count.
     */
    private readonly options: { lanes: EndpointLanes; unreadable: UnreadableRecords; logger: Logger; pauseWhen: { pending: number; heap: HeapPressure } },
  ) {
    const [topic] = declared.topics;
    if (topic === undefined || declared.topics.length > 1) throw new Error(`${declared.name}: the lanes read exactly one topic`);
    this.topic = topic;
    ({ consumer: this.consumer, subscribe: this.subscribe } = openDeclaredConsumer(kafka, declared, { handledTopics: [topic], logger: options.logger }));
    options.lanes.rewind = (partition, offset) => this.consumer.seek({ topic, partition, offset: String(offset) });
    options.lanes.unreadable = (record, reason) => options.unreadable.deadLetter(record, reason);
  }

  async start(): Promise<void> {
    const { topic } = this;
    const { lanes, logger } = this.options;
    // Until the next join says which partitions are ours, no batch forms: the group may hand
    // them to another instance meanwhile. (The batch claims keep two owners from sending the
    // same records in different batches; this keeps them from trying.)
    this.consumer.on(this.consumer.events.REBALANCING, () => lanes.pauseForRebalance());
    this.consumer.on(this.consumer.events.CRASH, () => lanes.pauseForRebalance());
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.committed.clear();
      const owned = payload.memberAssignment[topic] ?? [];
      logger.info({ topic, partitions: owned }, 'webhook-events partitions assigned');
      this.paused.clear();
      // A failed take-over (Postgres down) fails the batches that wait on it, so kafkajs restarts
      // the consumer and the next join tries again; it must not poison every later assignment.
      this.ready = this.ready.then(() => {
        const started = Date.now();
        return lanes.assign(owned).then(
          () => {
            this.takeOverFailed = undefined;
            logger.info({ topic, partitions: owned, durationMs: Date.now() - started }, 'took over webhook-events partitions');
          },
          (error: unknown) => {
            this.takeOverFailed = error;
            logger.error({ err: error, partitions: owned }, 'taking over webhook-events partitions failed; retried on the next join');
          },
        );
      });
    });
    await this.consumer.connect();
    await this.subscribe();
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch, pause, heartbeat, isStale }) => {
        await this.ready;
        if (this.takeOverFailed) throw this.takeOverFailed;
        // Fetched before a rewind (a failed lane seeks its partition back): the lanes take a
        // partition's records in offset order only, and the seek reads these again.
        if (isStale()) return;
        lanes.accept(batch.messages.map((m) => toConsumedRecord(batch.topic, batch.partition, m)));
        if (lanes.pending(batch.partition) > this.options.pauseWhen.pending || this.heapTooFull()) {
          pause();
          this.paused.add(batch.partition);
        }
        await heartbeat();
      },
    });
    this.commitTimer = setInterval(() => void this.tick(), COMMIT_INTERVAL_MS);
  }

  /** Commits what is finished and resumes partitions that have caught up. */
  private async tick(): Promise<void> {
    const { topic } = this;
    const { lanes, logger } = this.options;
    const heapTooFull = this.paused.size > 0 && this.heapTooFull();
    for (const partition of this.paused) {
      if (heapTooFull || lanes.pending(partition) > this.options.pauseWhen.pending / 2) continue;
      this.paused.delete(partition);
      this.consumer.resume([{ topic, partitions: [partition] }]);
    }
    const points = lanes.commitPoints().filter(({ partition, offset }) => this.committed.get(partition) !== offset);
    if (points.length === 0) return;
    await this.consumer.commitOffsets(points.map(({ partition, offset }) => ({ topic, partition, offset: String(offset) }))).then(
      () => points.forEach(({ partition, offset }) => this.committed.set(partition, offset)),
      (error: unknown) => logger.debug({ err: error }, 'offset commit skipped (rebalancing)'),
    );
  }

  /** Logged once per spell: while the heap is too full, every partition that fetches stops. */
  private heapTooFull(): boolean {
    const full = this.options.pauseWhen.heap.tooFull();
    if (full && !this.heapWasFull) this.options.logger.warn('heap nearly full; partitions stop fetching until the records held are delivered (LANES_PAUSE_AT_HEAP_PERCENT)');
    this.heapWasFull = full;
    return full;
  }

  /**
   * Stops fetching, lets deliveries in flight finish (up to a bound), commits what finished
   * while still a group member, then leaves the group.
   */
  async stop(): Promise<void> {
    clearInterval(this.commitTimer);
    this.consumer.pause([{ topic: this.topic }]);
    await this.options.lanes.quiesce(SHUTDOWN_GRACE_MS);
    await this.tick();
    await this.consumer.disconnect();
  }
}
