import type { EndpointDirectory } from '@tidings/endpoint-directory';
import type { ConsumedRecord } from '@tidings/kafka';
import type { Logger } from '@tidings/telemetry';
import type { DeliveryRecordsProducer } from '../delivery/delivery-records.producer';
import type { UnreadableRecords } from '../delivery/unreadable-records';
import type { DeliveryHoldsRepository } from '../holds/delivery-holds.repository';
import { transition, type HoldEvent } from '../holds/hold-machine';

/** What can be read of a broken retry record: enough to tell a stale one from the held batch's. */
export function peekRetry(record: ConsumedRecord): { endpointId: string | undefined; event: Extract<HoldEvent, { kind: 'retryUnreadable' }> } {
  let json: unknown;
  try {
    json = JSON.parse(record.value?.toString('utf8') ?? 'null');
  } catch {
    json = undefined;
  }
  const o = (typeof json === 'object' && json !== null ? json : {}) as { endpointId?: unknown; attempt?: unknown; batch?: { id?: unknown } | null };
  const batchId = typeof o.batch?.id === 'string' ? o.batch.id : undefined;
  const attempt = typeof o.attempt === 'number' ? o.attempt : undefined;
  const endpointId = record.key ?? (typeof o.endpointId === 'string' ? o.endpointId : undefined);
  return { endpointId, event: { kind: 'retryUnreadable', ...(batchId === undefined ? {} : { batchId }), ...(attempt === undefined ? {} : { attempt }) } };
}

/**
 * A retry record the chain cannot read: it goes to the internal dead letters, and the hold
 * that waits on it is released as the hold machine says (`retryUnreadable`), so the endpoint's
 * newer events go out instead of waiting for a record that will never be read. A record
 * with no key and no readable endpoint id releases nothing (see the README, Retries).
 */
export class UnreadableRetries {
  constructor(
    private readonly deps: {
      directory: EndpointDirectory;
      holds: DeliveryHoldsRepository;
      records: DeliveryRecordsProducer;
      unreadable: UnreadableRecords;
      logger: Logger;
    },
  ) {}

  async handle(record: ConsumedRecord, reason: string): Promise<void> {
    await this.deps.unreadable.deadLetter(record, reason);
    const { endpointId, event } = peekRetry(record);
    if (endpointId === undefined) return;
    const hold = await this.deps.holds.get(endpointId);
    const t = transition(hold, event);
    for (const effect of t.effects) {
      if (effect.kind !== 'releaseUnreadable') continue;
      const tailnet = this.deps.directory.get(endpointId)?.tailnet ?? 'unknown';
      const why = `the retry record of batch ${effect.batchId} (attempt ${effect.attempt}) was unreadable (${reason}); it is on the internal dead letters at ${record.topic}/${record.partition}@${record.offset}`;
      // The record first, then the row: a crash between leaves `retrying`, and the lane reads the record then too.
      await this.deps.records.retryResolved({ endpointId, tailnet }, effect.batchId, 'unreadable', why);
      await this.deps.holds.markResolved(endpointId, effect.batchId, effect.attempt);
      this.deps.logger.warn({ endpointId, batchId: effect.batchId, attempt: effect.attempt }, 'hold released after an unreadable retry record');
    }
  }
}
