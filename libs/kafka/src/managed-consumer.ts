import { context, trace, type Span } from '@opentelemetry/api';
import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs';
import type { ResolvedConsumer } from '@tidings/contracts';
import { recordFailure, type Logger } from '@tidings/telemetry';
import { toConsumedRecord, type ConsumedRecord } from './consumed-record';
import { openDeclaredConsumer } from './declared-consumer';
import { HandledOffsets } from './handled-offsets';
import { startBatchProcessSpan, startProcessSpan } from './messaging-spans';

export type RecordHandler = (record: ConsumedRecord) => Promise<void>;
/** Handles one fetched batch of a partition, in offset order, as one unit. */
export type BatchHandler = (records: ConsumedRecord[]) => Promise<void>;

interface ConsumerOptions {
  /** Group, topics and fetch wait, from `CONSUMERS`. */
  declared: ResolvedConsumer;
  logger: Logger;
  /** kafkajs settings over the shared ones (a test's retry policy). */
  consumerConfig?: Partial<ConsumerConfig>;
}

/**
 * Exactly one handler per declared topic (checked when built): every topic's
 * records one at a time, or every topic's fetched batches whole (a projection that writes a
 * batch in one statement).
 */
export type ManagedConsumerOptions = ConsumerOptions & ({ handlers: Record<string, RecordHandler> } | { batchHandlers: Record<string, BatchHandler> });

/**
 * A consumer-group member with explicit semantics: a record's offset is committed only after
 * its handler resolved (at least once; HandledOffsets says when); a handler that throws leaves
 * the offset where it was, and kafkajs retries the record (or the whole batch) with backoff.
 * Each record is handled inside a `process <topic>` CONSUMER span that continues the
 * producer's trace; a batch inside one span of its own, linked to its records' producers.
 */
export class ManagedConsumer {
  private readonly consumer: Consumer;
  private readonly subscribe: () => Promise<void>;
  private running = false;
  private readonly offsets: HandledOffsets;

  constructor(
    kafka: Kafka,
    private readonly options: ManagedConsumerOptions,
  ) {
    const handledTopics = Object.keys('handlers' in options ? options.handlers : options.batchHandlers);
    ({ consumer: this.consumer, subscribe: this.subscribe } = openDeclaredConsumer(kafka, options.declared, { handledTopics, logger: options.logger, config: options.consumerConfig }));
    this.offsets = new HandledOffsets(this.consumer, options.logger);
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.subscribe();
    this.running = true;
    this.offsets.start();
    if ('batchHandlers' in this.options) return this.runBatches(this.options.batchHandlers);
    const handlers = this.options.handlers;
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const handler = handlers[topic];
        if (!handler) throw new Error(`no handler for topic ${topic}`);
        const record = toConsumedRecord(topic, partition, message);
        await this.traced(startProcessSpan(record, { groupId: this.options.declared.groupId }), () => handler(record), { topic, partition, offset: message.offset });
        this.offsets.handled(topic, partition, message.offset);
      },
    });
  }

  private async runBatches(handlers: Record<string, BatchHandler>): Promise<void> {
    await this.consumer.run({
      autoCommit: false,
      // Handled as a whole once the handler returns; a throw leaves the batch to be read again.
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat }) => {
        const handler = handlers[batch.topic];
        if (!handler) throw new Error(`no handler for topic ${batch.topic}`);
        if (batch.messages.length === 0) return;
        const records = batch.messages.map((m) => toConsumedRecord(batch.topic, batch.partition, m));
        await this.traced(startBatchProcessSpan(records, { groupId: this.options.declared.groupId }), () => handler(records), { topic: batch.topic, partition: batch.partition, offset: batch.firstOffset() });
        this.offsets.handled(batch.topic, batch.partition, batch.lastOffset());
        await heartbeat();
      },
    });
  }

  private async traced(span: Span, work: () => Promise<void>, where: { topic: string; partition: number; offset: string | null }): Promise<void> {
    try {
      await context.with(trace.setSpan(context.active(), span), work);
    } catch (error) {
      recordFailure(span, error);
      this.options.logger.error({ err: error, ...where }, 'record handler failed; it will be retried');
      throw error;
    } finally {
      span.end();
    }
  }

  /**
   * Stops fetching, commits what was handled, and leaves the group. A handler still running
   * finishes during the disconnect; what it handled is read again by the next owner.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.consumer.pause(this.options.declared.topics.map((topic) => ({ topic })));
    await this.offsets.stop();
    await this.consumer.disconnect();
  }
}
