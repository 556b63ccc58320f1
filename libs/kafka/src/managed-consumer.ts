import { context, trace, type Span } from '@opentelemetry/api';
import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs';
import { recordFailure, type Logger } from '@tidings/telemetry';
import { toConsumedRecord, type ConsumedRecord } from './consumed-record';
import { startBatchProcessSpan, startProcessSpan } from './messaging-spans';

export type RecordHandler = (record: ConsumedRecord) => Promise<void>;
/** Handles one fetched batch of a partition, in offset order, as one unit. */
export type BatchHandler = (records: ConsumedRecord[]) => Promise<void>;

interface ConsumerOptions {
  groupId: string;
  fromBeginning?: boolean;
  logger: Logger;
  consumerConfig?: Partial<ConsumerConfig>;
}

/**
 * Exactly one handler per consumed topic (the startup check is structural): every topic's
 * records one at a time, or every topic's fetched batches whole (a projection that writes a
 * batch in one statement).
 */
export type ManagedConsumerOptions = ConsumerOptions & ({ handlers: Record<string, RecordHandler> } | { batchHandlers: Record<string, BatchHandler> });

/**
 * A consumer-group member with explicit semantics: a record's offset is committed only after
 * its handler resolved (at least once); a handler that throws leaves the offset where it was,
 * and kafkajs retries the record (or the whole batch) with backoff. Each record is handled
 * inside a `process <topic>` CONSUMER span that continues the producer's trace; a batch inside
 * one span of its own, linked to its records' producers.
 */
export class ManagedConsumer {
  private readonly consumer: Consumer;
  private running = false;

  constructor(
    kafka: Kafka,
    private readonly options: ManagedConsumerOptions,
  ) {
    // A short fetch wait bounds how long a graceful stop waits for the in-flight fetch.
    this.consumer = kafka.consumer({ groupId: options.groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000, maxWaitTimeInMs: 1_000, ...options.consumerConfig });
  }

  async start(): Promise<void> {
    const topics = Object.keys('handlers' in this.options ? this.options.handlers : this.options.batchHandlers);
    await this.consumer.connect();
    // Topics this service provisioned a moment ago may not be in every broker's metadata yet
    // (KRaft answers "does not host this topic-partition"): retriable, so retry, briefly.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.consumer.subscribe({ topics, fromBeginning: this.options.fromBeginning ?? true });
        break;
      } catch (error) {
        if (attempt >= 10 || (error as { retriable?: boolean }).retriable !== true) throw error;
        this.options.logger.warn({ err: error, topics, attempt }, 'subscribing failed; retrying');
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
    this.running = true;
    if ('batchHandlers' in this.options) return this.runBatches(this.options.batchHandlers);
    const handlers = this.options.handlers;
    await this.consumer.run({
      autoCommit: true,
      autoCommitInterval: 1_000,
      eachMessage: async ({ topic, partition, message }) => {
        const handler = handlers[topic];
        if (!handler) throw new Error(`no handler for topic ${topic}`);
        const record = toConsumedRecord(topic, partition, message);
        await this.traced(startProcessSpan(record, { groupId: this.options.groupId }), () => handler(record), { topic, partition, offset: message.offset });
      },
    });
  }

  private async runBatches(handlers: Record<string, BatchHandler>): Promise<void> {
    await this.consumer.run({
      autoCommit: true,
      autoCommitInterval: 1_000,
      // Resolved as a whole once the handler returns; a throw leaves the batch to be read again.
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat }) => {
        const handler = handlers[batch.topic];
        if (!handler) throw new Error(`no handler for topic ${batch.topic}`);
        if (batch.messages.length === 0) return;
        const records = batch.messages.map((m) => toConsumedRecord(batch.topic, batch.partition, m));
        await this.traced(startBatchProcessSpan(records, { groupId: this.options.groupId }), () => handler(records), { topic: batch.topic, partition: batch.partition, offset: batch.firstOffset() });
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

  /** Stops fetching, lets the in-flight record finish, commits, and leaves the group. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.consumer.disconnect();
  }
}
