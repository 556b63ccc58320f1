import { relayConfigEventSchema, type BucketAuth, type RateLimit, type RelayConfigEvent, type RelayOutput, type ResolvedConsumer, type StaticAnswer } from '@tidings/contracts';
import { decodeJsonRecord, TopicReplayer, type ConsumedRecord } from '@tidings/kafka';
import type { Logger } from '@tidings/telemetry';
import type { Kafka } from 'kafkajs';

export interface RelayBucket {
  bucketId: string;
  tailnet: string;
  version: number;
  auth: BucketAuth;
  answer: StaticAnswer;
  ephemeral: boolean;
}

export interface RelayInput {
  inputId: string;
  bucket: RelayBucket;
  methods: readonly string[];
  bodyLimitBytes: number;
  rateLimit: RateLimit | null;
  /** Set: the relay waits this long for its one output's answer. */
  waitForDestinationMs: number | null;
  outputs: (RelayOutput & { enabled: boolean })[];
}

/**
 * The relay's view of every bucket and input, built by replaying the relay-config log on boot
 * and kept current by following it. A bucket applies its events in version order only, so a
 * redelivered or out-of-order event changes nothing.
 */
export class RelayDirectory {
  private readonly buckets = new Map<string, RelayBucket>();
  private readonly inputs = new Map<string, Omit<RelayInput, 'bucket'> & { bucketId: string }>();
  private replayer: TopicReplayer | undefined;

  constructor(private readonly logger: Logger) {}

  async start(kafka: Kafka, declared: ResolvedConsumer): Promise<void> {
    this.replayer = new TopicReplayer(kafka, { declared, logger: this.logger, onRecord: (r) => this.ingest(r) });
    await this.replayer.start();
    this.logger.info({ buckets: this.buckets.size, inputs: this.inputs.size }, 'relay directory ready');
  }

  /** Waits until the view includes every config event already in Kafka. */
  async sync(): Promise<void> {
    await this.replayer?.sync();
  }

  async stop(): Promise<void> {
    await this.replayer?.stop();
  }

  /** An input and its bucket, or undefined for an unknown (or deleted) one. */
  input(inputId: string): RelayInput | undefined {
    const input = this.inputs.get(inputId);
    const bucket = input && this.buckets.get(input.bucketId);
    return input && bucket && { ...input, bucket };
  }

  private ingest(record: ConsumedRecord): void {
    const decoded = decodeJsonRecord(record, relayConfigEventSchema);
    if (!decoded.ok) {
      this.logger.error({ partition: record.partition, offset: record.offset, reason: decoded.reason }, 'skipping unreadable relay config event');
      return;
    }
    this.apply(decoded.value);
  }

  apply(e: RelayConfigEvent): void {
    const current = this.buckets.get(e.bucketId);
    const expected = e.type === 'bucketCreated' ? 1 : (current?.version ?? 0) + 1;
    if (e.version !== expected || (e.type !== 'bucketCreated' && !current)) {
      if (e.version > expected) this.logger.warn({ bucketId: e.bucketId, version: e.version, expected }, 'relay config event out of order; not applied');
      return;
    }
    switch (e.type) {
      case 'bucketCreated':
        if (current) return;
        this.buckets.set(e.bucketId, { bucketId: e.bucketId, tailnet: e.tailnet, version: 1, auth: e.auth, answer: e.answer, ephemeral: e.ephemeral });
        return;
      case 'bucketDeleted':
        this.buckets.delete(e.bucketId);
        for (const [id, input] of this.inputs) if (input.bucketId === e.bucketId) this.inputs.delete(id);
        return;
      case 'inputCreated':
        this.inputs.set(e.inputId, {
          inputId: e.inputId,
          bucketId: e.bucketId,
          methods: e.methods,
          bodyLimitBytes: e.bodyLimitBytes,
          rateLimit: e.rateLimit ?? null,
          waitForDestinationMs: e.waitForDestinationMs ?? null,
          outputs: e.outputs.map((o) => ({ ...o, enabled: true })),
        });
        break;
      case 'inputDeleted':
        this.inputs.delete(e.inputId);
        break;
      case 'outputDisabled':
      case 'outputEnabled': {
        // A request still goes to every output (dead-lettered at a disabled one); a waiting input does not wait on a disabled one.
        const output = this.inputs.get(e.inputId)?.outputs.find((o) => o.outputId === e.outputId);
        if (output) output.enabled = e.type === 'outputEnabled';
        break;
      }
    }
    current!.version = e.version;
  }
}
