import type { ResolvedConsumer } from '@tidings/contracts';
import { TopicReplayer, type ConsumedRecord } from '@tidings/kafka';
import type { Kafka } from 'kafkajs';
import { pino } from 'pino';
import { waitFor } from '@tidings/test-env';

/**
 * A test's view of one topic: every record from the beginning, in partition order, followed as
 * it grows; handed to `onRecord` if given, else kept in `records`. Built on the services' own
 * replayer, in a group of its own.
 */
export class TopicReader {
  readonly records: ConsumedRecord[] = [];
  private readonly replayer: TopicReplayer;

  private constructor(kafka: Kafka, topic: string, onRecord?: (record: ConsumedRecord) => void) {
    const declared: ResolvedConsumer = { name: `test reader of ${topic}`, mode: 'replay', groupId: 'tidings-test-reader', topics: [topic], fetchWaitMs: 1_000 };
    this.replayer = new TopicReplayer(kafka, {
      declared,
      logger: pino({ level: 'silent' }),
      onRecord: onRecord ?? ((record) => this.records.push(record)),
    });
  }

  /** Resolves once every record already in the topic has been read. */
  static async open(kafka: Kafka, topic: string, onRecord?: (record: ConsumedRecord) => void): Promise<TopicReader> {
    const reader = new TopicReader(kafka, topic, onRecord);
    await reader.replayer.start();
    return reader;
  }

  /** Resolves once everything written before the call has been read. */
  sync(): Promise<void> {
    return this.replayer.sync();
  }

  /** Waits until `pick` finds what it looks for among the records kept so far. */
  waitFor<T>(what: string, pick: (records: ConsumedRecord[]) => T | undefined | false, timeoutMs = 30_000): Promise<T> {
    return waitFor(what, () => pick(this.records), timeoutMs, 20);
  }

  stop(): Promise<void> {
    return this.replayer.stop();
  }
}
