import type { EndpointDirectory } from '@tidings/endpoint-directory';
import type { Logger } from '@tidings/telemetry';
import type { DeliveryRecordsProducer } from '../delivery/delivery-records.producer';
import type { PublisherMetrics } from '../delivery/publisher-metrics';
import type { DeliveryHoldsRepository } from '../holds/delivery-holds.repository';
import { transition, type HoldEvent } from '../holds/hold-machine';

/** Why a hold is released without its retry: its record was unreadable, or the chain read past where it was. */
export type ReleaseCause = 'unreadable' | 'record_gone';

/**
 * Releases a hold whose retry record will never be handled, as the hold machine says
 * (`retryUnreadable`): the lane gets a `retryResolved` record with outcome `unreadable` and the
 * hold is marked resolved, so the endpoint's waiting events drain as after a delivery. The
 * record first, then the row: a crash between leaves the hold `retrying`, and the lane reads
 * the record anyway; a second release is a duplicate the lane ignores.
 */
export class HoldRelease {
  constructor(
    private readonly deps: {
      directory: EndpointDirectory;
      holds: DeliveryHoldsRepository;
      records: DeliveryRecordsProducer;
      metrics: PublisherMetrics;
      logger: Logger;
    },
  ) {}

  /** True when a hold was released; `why` explains it (the batch and attempt are the hold's). */
  async release(endpointId: string, event: Extract<HoldEvent, { kind: 'retryUnreadable' }>, cause: ReleaseCause, why: (batchId: string, attempt: number) => string): Promise<boolean> {
    const hold = await this.deps.holds.get(endpointId);
    let released = false;
    for (const effect of transition(hold, event).effects) {
      if (effect.kind !== 'releaseUnreadable') continue;
      const tailnet = this.deps.directory.get(endpointId)?.tailnet ?? 'unknown';
      await this.deps.records.retryResolved({ endpointId, tailnet }, effect.batchId, 'unreadable', why(effect.batchId, effect.attempt));
      await this.deps.holds.markResolved(endpointId, effect.batchId, effect.attempt);
      this.deps.metrics.releasedHolds.inc({ cause });
      this.deps.logger.warn({ endpointId, batchId: effect.batchId, attempt: effect.attempt, cause }, 'hold released without its retry');
      released = true;
    }
    return released;
  }
}
