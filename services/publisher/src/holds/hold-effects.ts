import type { EndpointDirectory } from '@tidings/endpoint-directory';
import type { DeliveryRecordsProducer, EndpointRef } from '../delivery/delivery-records.producer';
import { batchIdFor } from '../lanes/batch-id';
import { eventItem, takeBatch, type BatchLimits, type LaneItem } from '../lanes/batch-former';
import { toWaiting, type QueuedItem } from '../lanes/queued-item';
import type { DeliveryHold, DeliveryHoldsRepository, ParkedItem } from './delivery-holds.repository';
import type { HoldEffect } from './hold-machine';

export const DRAIN_PAGE = 500;

/**
 * Carries out the hold machine's effects on durable state (the hold and waiting rows, dead
 * letters), and keeps this instance's copy of the holds in step with each write, so a failure
 * part way leaves the copy as the table is.
 */
export class HoldEffects {
  private holds = new Map<string, DeliveryHold>();

  constructor(
    private readonly deps: {
      directory: EndpointDirectory;
      holds: DeliveryHoldsRepository;
      records: DeliveryRecordsProducer;
      limits: BatchLimits;
    },
  ) {}

  current(endpointId: string): DeliveryHold | undefined {
    return this.holds.get(endpointId);
  }

  /** Reads every hold again (an assignment). */
  async reload(): Promise<DeliveryHold[]> {
    this.holds = new Map((await this.deps.holds.all()).map((h) => [h.endpointId, h]));
    return [...this.holds.values()];
  }

  /** The effects on durable state; false for one the lane carries out itself. */
  async run(endpointId: string, effect: HoldEffect): Promise<boolean> {
    const { holds } = this.deps;
    switch (effect.kind) {
      case 'putHold':
        await holds.put(effect.hold);
        this.holds.set(endpointId, effect.hold);
        return true;
      case 'deleteHold':
        await holds.delete(endpointId);
        this.holds.delete(endpointId);
        return true;
      case 'forgetHold':
        this.holds.delete(endpointId);
        return true;
      case 'holdFailedBatch':
        if (effect.throughSeq !== undefined) await holds.holdDrainedBatch(effect.hold, effect.throughSeq);
        else await holds.put(effect.hold);
        this.holds.set(endpointId, effect.hold);
        return true;
      case 'deleteWaiting':
        await holds.deleteWaiting(endpointId, effect.throughSeq);
        return true;
      case 'discardWaiting':
        await this.discardWaiting(endpointId);
        return true;
      case 'deadLetterWaiting':
        await this.deadLetterWaiting(endpointId, effect.reason);
        return true;
      case 'ignore':
        return true;
      default:
        return false;
    }
  }

  park(endpointId: string, items: QueuedItem[]): Promise<void> {
    return this.deps.holds.park(endpointId, items.map((i) => ({ sourceKey: i.origin, item: toWaiting(i) })));
  }

  waiting(endpointId: string): Promise<ParkedItem[]> {
    return this.deps.holds.waiting(endpointId, DRAIN_PAGE);
  }

  releaseIfDrained(endpointId: string): Promise<boolean> {
    return this.deps.holds.releaseIfDrained(endpointId);
  }

  async deadLetterItems(ref: EndpointRef, items: QueuedItem[], reason: string): Promise<void> {
    for (const item of items) {
      const batch = item.kind === 'batch' ? item.batch : { id: batchIdFor(item.origin), events: [item.event] };
      await this.deps.records.deadLetter(ref, batch, 'endpointDisabled', 0, reason);
    }
  }

  /** The chain gave up: everything waiting follows the batch to the dead letters. */
  private async deadLetterWaiting(endpointId: string, reason: string): Promise<void> {
    const ref = { endpointId, tailnet: this.deps.directory.get(endpointId)?.tailnet ?? 'unknown' };
    for (let page = await this.waiting(endpointId); page.length > 0; page = await this.waiting(endpointId)) {
      const items: LaneItem[] = page.map(({ sourceKey, item }) => (item.kind === 'event' ? eventItem(item.event, sourceKey, 0) : { kind: 'batch', batch: item.batch, origin: sourceKey, receivedAt: 0 }));
      while (items.length > 0) {
        const { batch, taken } = takeBatch(items, this.deps.limits)!;
        items.splice(0, taken);
        await this.deps.records.deadLetter(ref, batch, 'endpointDisabled', 0, reason);
      }
      await this.deps.holds.deleteWaiting(endpointId, page.at(-1)!.seq);
    }
  }

  private async discardWaiting(endpointId: string): Promise<void> {
    for (let page = await this.waiting(endpointId); page.length > 0; page = await this.waiting(endpointId)) {
      await this.deps.holds.deleteWaiting(endpointId, page.at(-1)!.seq);
    }
  }
}
