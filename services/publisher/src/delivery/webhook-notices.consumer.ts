import { setTimeout as sleep } from 'node:timers/promises';
import { webhookNoticeRecordSchema, type ResolvedConsumer } from '@tidings/contracts';
import { decodeJsonRecord, ManagedConsumer, type ConsumedRecord } from '@tidings/kafka';
import type { SecretBox } from '@tidings/secret-box';
import type { Logger } from '@tidings/telemetry';
import type { Kafka } from 'kafkajs';
import { batchIdFor } from '../lanes/batch-id';
import type { DeliverBatch } from './deliver-batch';
import type { UnreadableRecords } from './unreadable-records';

/**
 * A notice is tried a few times in place, then given up with its reason: its endpoint may be
 * the one that just failed for a day, and a notice must never hold up the notices behind it.
 */
const NOTICE_RETRY_DELAYS_MS = [1_000, 5_000];

/**
 * Delivers test events and `webhook*` notices. Its own consumer group on its own topic, so a
 * notice never waits behind an endpoint's payload backlog; and each record names its target
 * and secrets, so a deleted or rotated endpoint is still told, with the secret it holds.
 */
export class WebhookNoticesConsumer {
  private readonly consumer: ManagedConsumer;

  constructor(
    kafka: Kafka,
    /** The notices topic and group, from `CONSUMERS`. */
    readonly declared: ResolvedConsumer,
    private readonly deps: { deliver: DeliverBatch; secretBox: SecretBox; unreadable: UnreadableRecords; logger: Logger },
  ) {
    const handlers = Object.fromEntries(declared.topics.map((topic) => [topic, (record: ConsumedRecord) => this.handle(record)]));
    this.consumer = new ManagedConsumer(kafka, { declared, logger: deps.logger, handlers });
  }

  start(): Promise<void> {
    return this.consumer.start();
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  private async handle(record: ConsumedRecord): Promise<void> {
    const decoded = decodeJsonRecord(record, webhookNoticeRecordSchema);
    if (!decoded.ok) return this.deps.unreadable.deadLetter(record, decoded.reason);
    const { target, event } = decoded.value;
    const secrets = target.secrets.map((s) => this.deps.secretBox.open(s, target.endpointId));
    const batch = { id: batchIdFor(`${record.topic}/${record.partition}/${record.offset}`), events: [event] };
    for (let attempt = 1; ; attempt++) {
      const result = await this.deps.deliver.run({ kind: 'notice', attempt, batch, to: { target: { endpointId: target.endpointId, tailnet: target.tailnet, endpointUrl: target.endpointUrl, provider: target.providerType, secrets } } });
      if (result.outcome === 'delivered') return;
      const delay = NOTICE_RETRY_DELAYS_MS[attempt - 1];
      if (delay === undefined) {
        this.deps.logger.warn({ endpointId: target.endpointId, noticeId: decoded.value.noticeId, type: event.type, attempts: attempt, reason: result.reason }, 'notice not delivered; given up');
        return;
      }
      await sleep(delay);
    }
  }
}
