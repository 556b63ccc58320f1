import { relayDataKeySchema, type ResolvedConsumer } from '@tidings/contracts';
import { decodeJsonRecord, TopicReplayer, type ConsumedRecord } from '@tidings/kafka';
import { SecretBox } from '@tidings/secret-box';
import type { Logger } from '@tidings/telemetry';
import type { Kafka } from 'kafkajs';

interface Known {
  box: SecretBox;
  createdAt: number;
}

/**
 * The data keys the relay seals ephemeral requests under (`tidings.relay-data-keys.v1`), each
 * forgotten once its lifetime (`relayDataKeyLifetimeMs`) is over, as the topic forgets it:
 * past that, what was sealed under it cannot be opened here or anywhere.
 */
export class RelayDataKeys {
  private readonly keys = new Map<string, Known>();
  private replayer: TopicReplayer | undefined;
  private started: Promise<void>;
  private markStarted!: () => void;

  constructor(
    private readonly deps: { kafka: Kafka; declared: ResolvedConsumer; master: SecretBox; lifetimeMs: number; logger: Logger },
    private readonly now: () => number = Date.now,
  ) {
    this.started = new Promise((resolve) => (this.markStarted = resolve));
  }

  get declared(): ResolvedConsumer {
    return this.deps.declared;
  }

  async start(): Promise<void> {
    const { kafka, declared, logger } = this.deps;
    this.replayer = new TopicReplayer(kafka, { declared, logger, onRecord: (record) => this.learn(record) });
    await this.replayer.start();
    this.markStarted();
  }

  /**
   * The key a relayed request was sealed under, or undefined when it is past its lifetime or
   * unknown after catching up with the topic (announced before use, so: gone).
   */
  async boxFor(keyId: string): Promise<SecretBox | undefined> {
    await this.started;
    if (!this.keys.has(keyId)) await this.replayer!.sync();
    this.forgetExpired();
    return this.keys.get(keyId)?.box;
  }

  private learn(record: ConsumedRecord): void {
    const decoded = decodeJsonRecord(record, relayDataKeySchema);
    if (!decoded.ok) {
      this.deps.logger.error({ offset: record.offset, reason: decoded.reason }, 'skipping unreadable relay data key');
      return;
    }
    const { keyId, createdAt, key } = decoded.value;
    try {
      const bytes = Buffer.from(this.deps.master.open(key, keyId), 'base64');
      this.keys.set(keyId, { box: new SecretBox([{ id: keyId, key: bytes }]), createdAt: Date.parse(createdAt) });
    } catch (error) {
      this.deps.logger.error({ keyId, err: (error as Error).message }, 'skipping relay data key that does not open');
    }
  }

  private forgetExpired(): void {
    const oldest = this.now() - this.deps.lifetimeMs;
    for (const [keyId, known] of this.keys) if (known.createdAt <= oldest) this.keys.delete(keyId);
  }

  async stop(): Promise<void> {
    await this.replayer?.stop();
  }
}
