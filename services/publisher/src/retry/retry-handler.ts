import type { RetryRecord } from '@tidings/contracts';
import type { EndpointDirectory } from '@tidings/endpoint-directory';
import type { Logger } from '@tidings/telemetry';
import type { DeliveryRecordsProducer } from '../delivery/delivery-records.producer';
import type { DeliverBatch } from '../delivery/deliver-batch';
import type { DeliveryHold, DeliveryHoldsRepository } from '../holds/delivery-holds.repository';
import { transition, type HoldEvent } from '../holds/hold-machine';

/**
 * Put back this many times at most (1, 2, 4, 8, 16 s: half a minute) while the endpoint's hold
 * does not name the record's batch; then it is taken for stale. The lane writes the hold just
 * after the retry record, but a broker or database stall between the two can let the record
 * fall due first, and skipping it then would leave the hold waiting for a retry that never
 * comes (until the lost-retry check, minutes later).
 */
const MAX_DEFERRALS = 5;

/**
 * One due retry. It acts only if the endpoint's hold still names this batch at this attempt
 * (a duplicated or superseded record is skipped), tries the batch with the endpoint's current
 * secrets, then moves the hold on: the next retry topic, or a retryResolved record on the
 * endpoint's lane so the events waiting behind the batch follow it (delivered, dead-lettered
 * or dropped with a deleted endpoint).
 */
export class RetryHandler {
  constructor(
    private readonly deps: {
      directory: EndpointDirectory;
      holds: DeliveryHoldsRepository;
      deliver: DeliverBatch;
      records: DeliveryRecordsProducer;
      logger: Logger;
    },
  ) {}

  /** `topic`: the retry topic the record was read from, where a deferred record goes back. */
  async handle(r: RetryRecord, topic: string): Promise<void> {
    const { holds, records, logger } = this.deps;
    const hold = await holds.get(r.endpointId);
    if (!hold || !transition(hold, { kind: 'retryDue', batchId: r.batch.id, attempt: r.attempt }).effects.some((e) => e.kind === 'attemptRetry')) {
      const deferrals = r.deferrals ?? 0;
      // A hold of this batch at another attempt or state says the record is stale; none, or another batch's, may be "not yet".
      if ((!hold || hold.batchId !== r.batch.id) && deferrals < MAX_DEFERRALS) {
        logger.info({ endpointId: r.endpointId, batchId: r.batch.id, attempt: r.attempt, deferrals }, "retry due before its hold was recorded; put back");
        return records.deferRetry(topic, r, new Date(Date.now() + 1_000 * 2 ** deferrals));
      }
      logger.debug({ endpointId: r.endpointId, batchId: r.batch.id, attempt: r.attempt, hold }, 'stale retry record skipped');
      return;
    }
    const endpoint = this.deps.directory.get(r.endpointId);
    if (!endpoint) {
      await records.retryResolved(r, r.batch.id, 'endpointGone', 'the endpoint was deleted');
      return this.chainStep(hold, r, 'retryFinished');
    }
    if (!endpoint.enabled) {
      const reason = await this.deps.deliver.refuse(r, r.batch, r.attempt - 1, endpoint.disabledReason);
      await records.retryResolved(r, r.batch.id, 'deadLettered', reason);
      return this.chainStep(hold, r, 'retryFinished');
    }
    const result = await this.deps.deliver.run({ kind: 'payload', attempt: r.attempt, batch: r.batch, to: { endpoint } });
    const after = await this.deps.deliver.record(r, r.batch, r.attempt, result, r);
    if (after.next === 'delivered') {
      await records.retryResolved(r, r.batch.id, 'delivered', null);
      return this.chainStep(hold, r, 'retryFinished');
    }
    if (after.next === 'retry') {
      return this.chainStep(hold, r, 'retryRescheduled');
    }
    await records.retryResolved(r, r.batch.id, 'deadLettered', after.reason);
    await this.chainStep(hold, r, 'retryFinished');
  }

  /** Moves the hold on as the hold machine says; the repository's compare-and-set keeps a duplicate from acting twice. */
  private async chainStep(hold: DeliveryHold, r: RetryRecord, kind: Extract<HoldEvent, { kind: 'retryRescheduled' | 'retryFinished' }>['kind']): Promise<void> {
    const t = transition(hold, { kind, batchId: r.batch.id, attempt: r.attempt });
    if (t.illegal) throw new Error(`endpoint ${r.endpointId}: the hold machine refuses ${t.illegal}`);
    for (const effect of t.effects) {
      if (effect.kind === 'advanceAttempt') await this.deps.holds.advanceAttempt(r.endpointId, r.batch.id, effect.from);
      else if (effect.kind === 'markResolved') await this.deps.holds.markResolved(r.endpointId, r.batch.id, effect.attempt);
    }
  }
}
