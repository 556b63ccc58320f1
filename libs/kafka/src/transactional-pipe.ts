import { trace, type Link } from '@opentelemetry/api';
import type { Consumer, IHeaders, Kafka, Producer, Transaction } from 'kafkajs';
import { KAFKA_HEADERS, type ResolvedConsumer } from '@tidings/contracts';
import { recordFailure, type Logger } from '@tidings/telemetry';
import { toConsumedRecord, type ConsumedRecord } from './consumed-record';
import { openDeclaredConsumer } from './declared-consumer';
import { MAX_SPAN_LINKS, startSendSpan } from './messaging-spans';
import { extractTraceContext, headerValue } from './trace-context';

/** A record to produce as part of a batch's transaction. */
export interface OutputRecord {
  topic: string;
  key: string | null;
  value: string | Buffer | null;
  headers?: IHeaders;
  /** Set to pin the partition (otherwise the key decides). */
  partition?: number;
}

export interface BatchResult {
  outputs: OutputRecord[];
  /**
   * How many of the records (from the first) these outputs cover, when fewer than all: the
   * rest come back in the next call. At least one is always taken.
   */
  consumed?: number;
  /** Runs once the transaction committed (e.g. to remember what it recorded). */
  onCommitted?: () => void;
  /** Runs when the transaction did not commit (the batch will be read again). */
  onAborted?: () => void;
}

export interface TransactionalPipeOptions {
  /** Input topics, group and fetch wait, from `CONSUMERS` (mode `transactional`). */
  declared: ResolvedConsumer;
  /**
   * Each input partition has its own transactional producer, `<prefix>.<topic>.<partition>`,
   * the same on every instance: whoever owns the partition next fences the previous owner's
   * open transaction at once (a crash, a rebalance, a zombie), and partitions commit in parallel.
   */
  transactionalIdPrefix: string;
  logger: Logger;
  /** A barrier before each batch (e.g. "my view of the endpoints is current"). */
  beforeBatch?: () => Promise<void>;
  /**
   * Runs once each time this instance takes over an input partition, after its producer fenced
   * the previous owner and before the first batch: e.g. catching a view up with what that owner
   * committed. Until the partition moves again, everything committed for it is this instance's own.
   */
  onPartitionOwned?: (topic: string, partition: number) => Promise<void>;
  /**
   * The outputs of the records, in order. `maxOutputs` is a budget, not a cap: stop taking
   * records once it is reached (say how many in `consumed`); one record may exceed it alone.
   */
  processBatch: (records: ConsumedRecord[], maxOutputs: number) => Promise<BatchResult>;
}

/**
 * The outputs one transaction should carry: a batch of domain events fanning out to thousands
 * of endpoints is committed in several transactions, so the trigger's memory follows this,
 * not the fetch size times the fan-out (issue 16: 256 MiB per service).
 */
const MAX_OUTPUTS_PER_TRANSACTION = 20_000;

/** Under the broker's default 1 MiB message.max.bytes, with room for framing. */
const MAX_REQUEST_BYTES = 512 * 1024;
/**
 * Partitions whose batches are processed at once, each in its own transaction: one at a time,
 * a record waited for every other partition's transaction round trip (issue 16: most of the
 * produce → payload latency). The domain-events topic has six.
 */
const PARTITIONS_IN_PARALLEL = 6;

const sizeOf = (o: OutputRecord) =>
  (o.key?.length ?? 0) + (o.value?.length ?? 0) + Object.entries(o.headers ?? {}).reduce((n, [k, v]) => n + k.length + String(v ?? '').length, 0) + 64;

/** Splits outputs, in order, into sends of at most `maxBytes` (a larger single record goes alone). */
export function chunked(outputs: OutputRecord[], maxBytes: number): OutputRecord[][] {
  const chunks: OutputRecord[][] = [];
  let current: OutputRecord[] = [];
  let bytes = 0;
  for (const o of outputs) {
    const size = sizeOf(o);
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(o);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The distinct creation contexts the outputs carry (a fan-out shares one), up to the cap. */
function creationLinks(outputs: OutputRecord[]): Link[] {
  const seen = new Map<string, Link>();
  for (const o of outputs) {
    if (seen.size >= MAX_SPAN_LINKS) break;
    const traceparent = headerValue(o.headers, KAFKA_HEADERS.traceparent);
    if (traceparent === undefined || seen.has(traceparent)) continue;
    const created = trace.getSpanContext(extractTraceContext(o.headers));
    if (created) seen.set(traceparent, { context: created });
  }
  return [...seen.values()];
}

/**
 * Exactly-once consume-transform-produce: each fetched batch is transformed, and its outputs
 * and its consumer offsets are committed in one Kafka transaction. A crash at any point either
 * commits both or neither; the batch is then re-read from the last committed offset, and
 * read_committed consumers downstream never see the aborted outputs.
 */
export class TransactionalPipe {
  private readonly consumer: Consumer;
  private readonly subscribe: () => Promise<void>;
  /** Per input partition (`topic/partition`), connected on its first batch. */
  private readonly producers = new Map<string, Promise<Producer>>();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: TransactionalPipeOptions,
  ) {
    // One processBatch handles every declared topic.
    ({ consumer: this.consumer, subscribe: this.subscribe } = openDeclaredConsumer(kafka, options.declared, { handledTopics: options.declared.topics, logger: options.logger }));
  }

  private producerFor(topic: string, partition: number): Promise<Producer> {
    const key = `${topic}/${partition}`;
    let producer = this.producers.get(key);
    if (!producer) {
      const made = this.kafka.producer({
        transactionalId: `${this.options.transactionalIdPrefix}.${topic}.${partition}`,
        idempotent: true,
        maxInFlightRequests: 1,
        // Bounds how long an orphaned transaction (its partition owned by nobody) holds back
        // read_committed consumers.
        transactionTimeout: 10_000,
        allowAutoTopicCreation: false,
        // A batch that follows a commit closely is often told CONCURRENT_TRANSACTIONS (the
        // coordinator is still writing the last commit's markers, a millisecond or two). The
        // client's default first backoff (200 ms) made that most of the trigger's p99.
        retry: { initialRetryTime: 10, maxRetryTime: 1_000, retries: 12 },
      });
      producer = made
        .connect()
        .then(() => this.options.onPartitionOwned?.(topic, partition))
        .then(
          () => made,
          async (error: unknown) => {
            await made.disconnect().catch(() => undefined);
            throw error;
          },
        );
      // A failed connect (or take-over step) is tried again on the partition's next batch.
      producer.catch(() => this.producers.delete(key));
      this.producers.set(key, producer);
    }
    return producer;
  }

  /**
   * Closes a partition's producer: after a failed transaction (it may be fenced: another
   * owner initialised the same id, and a fenced producer never works again) and when the
   * partition is no longer ours. Its next batch, here or after a reassignment, opens a new one.
   */
  private retire(key: string): void {
    const producer = this.producers.get(key);
    this.producers.delete(key);
    void producer?.then((p) => p.disconnect()).catch(() => undefined);
  }

  async start(): Promise<void> {
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const owned = new Set(Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((p) => `${topic}/${p}`)));
      for (const key of [...this.producers.keys()]) if (!owned.has(key)) this.retire(key);
    });
    await this.consumer.connect();
    await this.subscribe();
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: PARTITIONS_IN_PARALLEL,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const producer = await this.producerFor(batch.topic, batch.partition);
        let records = batch.messages.map((m) => toConsumedRecord(batch.topic, batch.partition, m));
        // A fetch can hold more than one transaction should carry (a fan-out multiplies each
        // record): it is committed in slices, each within the output budget.
        while (records.length > 0) {
          if (!isRunning() || isStale()) return;
          await this.options.beforeBatch?.();
          const result = await this.options.processBatch(records, MAX_OUTPUTS_PER_TRANSACTION);
          const consumed = Math.min(records.length, Math.max(1, result.consumed ?? records.length));
          // The last slice commits past the batch's end (trailing transaction markers included).
          const next = consumed === records.length ? BigInt(batch.lastOffset()) + 1n : BigInt(records[consumed - 1]!.offset) + 1n;
          await this.commit(producer, { topic: batch.topic, partition: batch.partition, next: next.toString(), firstOffset: records[0]!.offset }, result, isStale);
          records = records.slice(consumed);
          await heartbeat();
        }
      },
    });
  }

  /** One slice's outputs and its input offsets, in one transaction. */
  private async commit(producer: Producer, input: { topic: string; partition: number; next: string; firstOffset: string }, result: BatchResult, isStale: () => boolean): Promise<void> {
    const { declared, logger } = this.options;
    const { outputs, onCommitted, onAborted } = result;
    const key = `${input.topic}/${input.partition}`;
    const span = startSendSpan([...new Set(outputs.map((o) => o.topic))], outputs.length, creationLinks(outputs));
    const transaction = await producer.transaction().catch((error: unknown) => {
      onAborted?.();
      this.retire(key);
      span.end();
      throw error;
    });
    try {
      await this.produce(transaction, outputs);
      // After the produce, not beside it: the coordinator answers CONCURRENT_TRANSACTIONS to an
      // AddOffsetsToTxn that overlaps the produce's AddPartitionsToTxn.
      await transaction.sendOffsets({ consumerGroupId: declared.groupId, topics: [{ topic: input.topic, partitions: [{ partition: input.partition, offset: input.next }] }] });
      if (isStale()) throw new Error('partition revoked during the batch; its new owner re-reads it');
      await transaction.commit();
    } catch (error) {
      recordFailure(span, error);
      onAborted?.();
      await transaction.abort().catch((abortError: unknown) => logger.warn({ err: abortError }, 'aborting the transaction failed'));
      this.retire(key);
      logger.error({ err: error, partition: input.partition, firstOffset: input.firstOffset }, 'batch transaction aborted; the batch will be re-read');
      throw error;
    } finally {
      span.end();
    }
    onCommitted?.();
  }

  /** The outputs in order, in sends of at most MAX_REQUEST_BYTES, one topic list per send. */
  private async produce(transaction: Transaction, outputs: OutputRecord[]): Promise<void> {
    for (const chunk of chunked(outputs, MAX_REQUEST_BYTES)) {
      const byTopic = new Map<string, OutputRecord[]>();
      for (const o of chunk) {
        const messages = byTopic.get(o.topic);
        if (messages) messages.push(o);
        else byTopic.set(o.topic, [o]);
      }
      await transaction.sendBatch({
        topicMessages: [...byTopic].map(([topic, messages]) => ({
          topic,
          messages: messages.map(({ key, value, headers, partition }) => ({ key, value, headers, partition })),
        })),
      });
    }
  }

  /** Stops fetching, lets the in-flight batches finish or abort, and leaves the group. */
  async stop(): Promise<void> {
    await this.consumer.disconnect();
    const producers = await Promise.allSettled([...this.producers.values()]);
    await Promise.all(producers.flatMap((p) => (p.status === 'fulfilled' ? [p.value.disconnect()] : [])));
    this.producers.clear();
  }
}
