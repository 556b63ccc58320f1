import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs';
import type { Logger } from '@tidings/telemetry';
import { toConsumedRecord, type ConsumedRecord } from './consumed-record';
import { startProcessSpan } from './messaging-spans';

export type RecordHandler = (record: ConsumedRecord) => Promise<void>;

export interface ManagedConsumerOptions {
  groupId: string;
  /** Exactly one handler per consumed topic (the startup check is structural). */
  handlers: Record<string, RecordHandler>;
  fromBeginning?: boolean;
  logger: Logger;
  consumerConfig?: Partial<ConsumerConfig>;
}

/**
 * A consumer-group member with explicit semantics: a record's offset is committed only after
 * its handler resolved (at least once); a handler that throws leaves the offset where it was,
 * and kafkajs retries the record with backoff. Each record is handled inside a
 * `process <topic>` CONSUMER span that continues the producer's trace.
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
    const topics = Object.keys(this.options.handlers);
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
    await this.consumer.run({
      autoCommit: true,
      autoCommitInterval: 1_000,
      eachMessage: async ({ topic, partition, message }) => {
        const handler = this.options.handlers[topic];
        if (!handler) throw new Error(`no handler for topic ${topic}`);
        const record = toConsumedRecord(topic, partition, message);
        const span = startProcessSpan(record, { groupId: this.options.groupId });
        try {
          await context.with(trace.setSpan(context.active(), span), () => handler(record));
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          this.options.logger.error({ err: error, topic, partition, offset: message.offset }, 'record handler failed; it will be retried');
          throw error;
        } finally {
          span.end();
        }
      },
    });
  }

  /** Stops fetching, lets the in-flight record finish, commits, and leaves the group. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.consumer.disconnect();
  }
}
