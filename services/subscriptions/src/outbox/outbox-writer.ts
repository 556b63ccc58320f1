import { injectTraceContext } from '@tidings/kafka';
import type { EntityManager } from 'typeorm';
import { OutboxEntity } from './outbox.entity';

/** Topics the outbox may write, by their key in the resolved topic names. */
export type OutboxTopic = 'endpointConfig' | 'webhookNotices' | 'relayConfig';

/**
 * Adds a record to the outbox inside the caller's transaction: it is published if and only if
 * the transaction commits. The current trace context travels with it.
 */
export async function writeToOutbox(manager: EntityManager, topic: OutboxTopic, key: string, value: unknown): Promise<void> {
  const headers = injectTraceContext({}) as Record<string, string>;
  await manager.insert(OutboxEntity, { topicKey: topic, recordKey: key, recordValue: JSON.stringify(value), recordHeaders: headers });
}
