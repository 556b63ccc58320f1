import type { RetryRecord } from '@tidings/contracts';
import type { EndpointDirectory } from '@tidings/endpoint-directory';
import type { SecretBox } from '@tidings/secret-box';
import type { Logger } from '@tidings/telemetry';
import type { DeliveryRecordsProducer } from '../delivery/delivery-records.producer';
import type { WebhookDispatcher } from '../delivery/webhook-dispatcher';
import type { DeliveryHoldsRepository } from '../holds/delivery-holds.repository';
import { deliveryTarget } from '../signing/endpoint-secrets';
import type { FailedBatchRouter } from './failed-batch-router';

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
      dispatcher: WebhookDispatcher;
      records: DeliveryRecordsProducer;
      router: FailedBatchRouter;
      secretBox: SecretBox;
      logger: Logger;
    },
  ) {}

  async handle(r: RetryRecord): Promise<void> {
    const { holds, records, logger } = this.deps;
    const hold = await holds.get(r.endpointId);
    if (!hold || hold.batchId !== r.batch.id || hold.state !== 'retrying' || hold.attempt !== r.attempt) {
      logger.debug({ endpointId: r.endpointId, batchId: r.batch.id, attempt: r.attempt, hold }, 'stale retry record skipped');
      return;
    }
    const endpoint = this.deps.directory.get(r.endpointId);
    if (!endpoint) {
      await records.retryResolved(r, r.batch.id, 'endpointGone', 'the endpoint was deleted');
      return holds.markResolved(r.endpointId, r.batch.id, r.attempt);
    }
    if (!endpoint.enabled) {
      const reason = `endpoint disabled: ${endpoint.disabledReason ?? 'no reason given'}`;
      await records.deadLetter(r, r.batch, 'endpointDisabled', r.attempt - 1, reason);
      await records.retryResolved(r, r.batch.id, 'deadLettered', reason);
      return holds.markResolved(r.endpointId, r.batch.id, r.attempt);
    }
    const slot = await this.deps.dispatcher.reserve('payload');
    const result = await this.deps.dispatcher.dispatch(slot, 'payload', deliveryTarget(endpoint, this.deps.secretBox), r.batch, r.attempt);
    if (result.outcome === 'delivered') {
      await records.attempt(r, r.batch, r.attempt, result, null);
      await records.retryResolved(r, r.batch.id, 'delivered', null);
      return holds.markResolved(r.endpointId, r.batch.id, r.attempt);
    }
    const after = await this.deps.router.route(r, r.batch, r.attempt, result, r.firstFailedAt, r.originTraceparent);
    if (after.next === 'retry') {
      await holds.advanceAttempt(r.endpointId, r.batch.id, r.attempt);
      return;
    }
    await records.retryResolved(r, r.batch.id, 'deadLettered', after.reason);
    await holds.markResolved(r.endpointId, r.batch.id, r.attempt);
  }
}
