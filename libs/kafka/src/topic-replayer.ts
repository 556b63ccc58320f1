import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '@tidings/telemetry';
import type { ConsumedRecord } from './managed-consumer';

export interface TopicReplayerOptions {
  topic: string;
  /** Each replayer joins its own throw-away group: every instance reads the whole log. */
  groupIdPrefix: string;
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

  constructor(
    private readonly kafka: Kafka,
    private readonly options: TopicReplayerOptions,
  ) {
    this.consumer = kafka.consumer({ groupId: `${options.groupIdPrefix}.${randomUUID()}`, sessionTimeout: 30_000 });
  }

  async start(): Promise<void> {
    const { topic, logger } = this.options;
    const admin = this.kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
    // Partitions still to catch up: those whose end offset is past their first offset.
    const pending = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));

    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    if (pending.size === 0) caughtUp();

    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        this.options.onRecord({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value,
          headers: message.headers ?? {},
          timestamp: message.timestamp,
        });
        const end = pending.get(partition);
        if (end !== undefined && BigInt(message.offset) + 1n >= end) {
          pending.delete(partition);
          if (pending.size === 0) caughtUp();
        }
      },
    });
    await ready;
    logger.info({ topic }, 'replayed log topic; following its tail');
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
