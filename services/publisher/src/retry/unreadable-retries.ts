import type { ConsumedRecord } from '@tidings/kafka';
import type { UnreadableRecords } from '../delivery/unreadable-records';
import type { HoldEvent } from '../holds/hold-machine';
import type { HoldRelease } from './hold-release';

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
 * that waits on it is released at once (`HoldRelease`), so the endpoint's newer events go out
 * instead of waiting for a record that will never be read. A record with no key and no
 * readable endpoint id names no hold: the lost-retry check releases that one once the chain
 * has read past it (see the README, Retries).
 */
export class UnreadableRetries {
  constructor(
    private readonly unreadable: UnreadableRecords,
    private readonly release: HoldRelease,
  ) {}

  async handle(record: ConsumedRecord, reason: string): Promise<void> {
    await this.unreadable.deadLetter(record, reason);
    const { endpointId, event } = peekRetry(record);
    if (endpointId === undefined) return;
    const where = `${record.topic}/${record.partition}@${record.offset}`;
    await this.release.release(endpointId, event, 'unreadable', (batchId, attempt) => `the retry record of batch ${batchId} (attempt ${attempt}) was unreadable (${reason}); it is on the internal dead letters at ${where}`);
  }
}
