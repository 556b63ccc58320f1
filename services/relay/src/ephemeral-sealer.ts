import { randomBytes, randomUUID } from 'node:crypto';
import { EPHEMERAL_KEY_PREFIX, relayDataKeyUseMs, type RelayDataKey, type RetrySchedule, type SealedSecret, type TopicNames } from '@tidings/contracts';
import type { KafkaProducerService } from '@tidings/kafka-nest';
import { SecretBox } from '@tidings/secret-box';

/** The key in use: sealing until `until`, announced once `box` resolves. */
interface DataKey {
  box: Promise<SecretBox>;
  until: number;
}

/**
 * Seals an ephemeral bucket's requests under this instance's current data key. A new key is
 * made when the last one's use is over, and announced (sealed under the master keyring, in
 * Kafka, acks=all) before anything is sealed under it, so the publisher can always find it.
 * Each relay instance has keys of its own: nothing to agree on.
 */
export class EphemeralSealer {
  private current: DataKey | undefined;
  private readonly useMs: number;

  constructor(
    private readonly deps: { producer: KafkaProducerService; topics: TopicNames; schedule: RetrySchedule; master: SecretBox },
    private readonly now: () => number = Date.now,
  ) {
    this.useMs = relayDataKeyUseMs(deps.schedule);
  }

  /** Throws when the key could not be announced: the request is refused (503), never sealed under an unknown key. */
  async seal(plaintext: string, context: string): Promise<SealedSecret> {
    return (await this.box()).seal(plaintext, context);
  }

  /** The key in use; requests arriving while its announcement is under way share it. */
  private box(): Promise<SecretBox> {
    const now = this.now();
    if (this.current && this.current.until > now) return this.current.box;
    const entry: DataKey = { box: this.announce(now), until: now + this.useMs };
    this.current = entry;
    entry.box.catch(() => {
      if (this.current === entry) this.current = undefined;
    });
    return entry.box;
  }

  private async announce(createdAt: number): Promise<SecretBox> {
    const keyId = `${EPHEMERAL_KEY_PREFIX}${randomUUID()}`;
    const key = randomBytes(32);
    const record: RelayDataKey = { schemaVersion: 1, keyId, createdAt: new Date(createdAt).toISOString(), key: this.deps.master.seal(key.toString('base64'), keyId) };
    await this.deps.producer.send(this.deps.topics.relayDataKeys, [{ key: keyId, value: JSON.stringify(record) }]);
    return new SecretBox([{ id: keyId, key }]);
  }
}
