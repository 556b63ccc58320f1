import { ROOT_CONTEXT, context, trace, type Link, type Span, type SpanContext } from '@opentelemetry/api';
import { laneRecordSchema, type DeliveryBatch, type LaneRecord } from '@tidings/contracts';
import type { EndpointDirectory, EndpointState } from '@tidings/endpoint-directory';
import { decodeJsonRecord, MAX_SPAN_LINKS, startProcessSpan, type ConsumedRecord } from '@tidings/kafka';
import type { SecretBox } from '@tidings/secret-box';
import { fromTraceparent, recordFailure, toTraceparent, type Logger } from '@tidings/telemetry';
import type { DeliveryRecordsProducer } from '../delivery/delivery-records.producer';
import type { PublisherMetrics } from '../delivery/publisher-metrics';
import type { EgressSlot } from '../delivery/egress-client';
import type { AttemptOutcome } from '../delivery/delivery-terms';
import type { WebhookDispatcher } from '../delivery/webhook-dispatcher';
import type { DeliveryHold, DeliveryHoldsRepository, WaitingItem } from '../holds/delivery-holds.repository';
import type { FailedBatchRouter } from '../retry/failed-batch-router';
import { deliveryTarget } from '../signing/endpoint-secrets';
import { batchIdFor } from './batch-id';
import { eventItem, takeBatch, type BatchLimits, type LaneItem } from './batch-former';
import { PartitionOffsets } from './partition-offsets';

/**
 * An item in memory, what finishing it settles (a lane record's offset, or a waiting row), and
 * the span that consumed it (its batch continues that trace, or links to it after a wait).
 */
type QueuedItem = LaneItem & { offset?: number; seq?: number; consumedBy?: SpanContext };

const tracer = trace.getTracer('tidings-publisher');

/** One endpoint's lane on this instance: at most one batch in flight, the rest queued in order. */
class Lane {
  readonly queue: QueuedItem[] = [];
  inFlight = false;
  /** Items come from the waiting table (a drain) rather than from the topic. */
  draining = false;
  /** The partition was revoked: whatever is in flight finishes, but its outcome is not acted on. */
  abandoned = false;
  /** Serialises this endpoint's state changes (hold, parking, drain steps) in arrival order. */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly endpointId: string,
    readonly partition: number,
  ) {}

  serially(work: () => Promise<void>, onError: (error: unknown) => void): void {
    this.tail = this.tail.then(work).catch(onError);
  }

  idle(): Promise<void> {
    return this.tail;
  }
}

const DRAIN_PAGE = 500;
/** Record timestamps come from the trigger's clock, sync times from ours. */
const CLOCK_SKEW_MARGIN_MS = 5_000;

/**
 * The heart of delivery: per-endpoint lanes over the webhook-events partitions this instance
 * owns. Endpoints deliver independently (a slow or failing one never holds up the others on
 * its partition); within an endpoint, batches go one at a time, in order. When a first attempt
 * fails, the batch enters the retry chain and the endpoint is *held* (in Postgres, so the hold
 * outlives this instance): newer events for it are parked, in order, until the chain resolves
 * the batch (retryResolved on this lane), then drained ahead of anything newer.
 */
export class EndpointLanes {
  private readonly lanes = new Map<string, Lane>();
  private readonly partitions = new Map<number, PartitionOffsets>();
  private holds = new Map<string, DeliveryHold>();
  /** Shutting down: batches in flight finish, no new one starts. */
  private stopping = false;
  /** The endpoint view includes every config written before this time (ms). */
  private syncedFrom = 0;

  constructor(
    private readonly deps: {
      directory: EndpointDirectory;
      holds: DeliveryHoldsRepository;
      dispatcher: WebhookDispatcher;
      records: DeliveryRecordsProducer;
      router: FailedBatchRouter;
      secretBox: SecretBox;
      metrics: PublisherMetrics;
      limits: BatchLimits;
      /** The consumer group the lanes' partitions belong to (named on their spans). */
      groupId: string;
      logger: Logger;
    },
  ) {}

  /**
   * A new assignment: partitions no longer ours are abandoned (their new owner re-reads what
   * was not committed), holds are reloaded, and drains that were under way resume.
   */
  async assign(owned: number[]): Promise<void> {
    const keep = new Set(owned);
    for (const [partition] of this.partitions) if (!keep.has(partition)) this.partitions.delete(partition);
    for (const [id, lane] of this.lanes) {
      if (!keep.has(lane.partition)) {
        lane.abandoned = true;
        this.lanes.delete(id);
      }
    }
    for (const p of owned) if (!this.partitions.has(p)) this.partitions.set(p, new PartitionOffsets());
    this.holds = new Map((await this.deps.holds.all()).map((h) => [h.endpointId, h]));
    for (const hold of this.holds.values()) {
      if (hold.state !== 'draining' || !keep.has(hold.lanePartition)) continue;
      const lane = this.lane(hold.endpointId, hold.lanePartition);
      if (lane.draining) continue;
      lane.draining = true;
      this.pump(lane);
    }
  }

  /** Records of one partition, in offset order. Work is queued per endpoint; this returns at once. */
  accept(records: ConsumedRecord[]): void {
    for (const record of records) {
      const offsets = this.partitions.get(record.partition);
      if (!offsets) return;
      const offset = Number(record.offset);
      offsets.accept(offset);
      const decoded = decodeJsonRecord(record, laneRecordSchema);
      if (!decoded.ok) {
        this.deps.logger.error({ partition: record.partition, offset: record.offset, reason: decoded.reason }, 'skipping unreadable lane record');
        offsets.settle(offset);
        continue;
      }
      const lr = decoded.value;
      const lane = this.lane(lr.endpointId, record.partition);
      const span = startProcessSpan(record, { groupId: this.deps.groupId, attributes: { 'tidings.endpoint.id': lr.endpointId, 'tidings.lane.record': lr.kind } });
      const writtenAt = Number(record.timestamp);
      lane.serially(
        () => context.with(trace.setSpan(ROOT_CONTEXT, span), () => this.onRecord(lane, lr, offset, writtenAt, span)).finally(() => span.end()),
        (error) => this.fail(lane, error),
      );
    }
  }

  /** Records accepted and not finished on a partition (backpressure). */
  pending(partition: number): number {
    return this.partitions.get(partition)?.pending ?? 0;
  }

  commitPoints(): { partition: number; offset: number }[] {
    return [...this.partitions].flatMap(([partition, o]) => {
      const offset = o.commitPoint();
      return offset === undefined ? [] : [{ partition, offset }];
    });
  }

  /** Waits, up to `maxMs`, for deliveries in flight and queued state changes to finish (shutdown). */
  async quiesce(maxMs: number): Promise<void> {
    this.stopping = true;
    const deadline = Date.now() + maxMs;
    while (Date.now() < deadline && [...this.lanes.values()].some((l) => l.inFlight)) await new Promise((r) => setTimeout(r, 50));
    await Promise.race([Promise.all([...this.lanes.values()].map((l) => l.idle())), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
  }

  private lane(endpointId: string, partition: number): Lane {
    let lane = this.lanes.get(endpointId);
    if (!lane) {
      lane = new Lane(endpointId, partition);
      this.lanes.set(endpointId, lane);
    }
    return lane;
  }

  private settle(lane: Lane, offsets: (number | undefined)[]): void {
    if (lane.abandoned) return;
    const p = this.partitions.get(lane.partition);
    for (const o of offsets) if (o !== undefined) p?.settle(o);
  }

  private async onRecord(lane: Lane, record: LaneRecord, offset: number, writtenAt: number, span: Span): Promise<void> {
    if (lane.abandoned) return;
    const origin = `${lane.partition}@${offset}`;
    if (record.kind === 'retryResolved') return this.onRetryResolved(lane, record, offset);

    const consumedBy = span.spanContext();
    const item: QueuedItem =
      record.kind === 'event'
        ? { ...eventItem(record.event, origin, Date.now()), offset, consumedBy }
        : { kind: 'batch', batch: record.batch, origin, receivedAt: Date.now(), offset, consumedBy };
    // A replay follows an enable the API just published: make sure this view has it.
    if (record.kind === 'replay') await this.syncDirectory();
    const endpoint = await this.endpointAsOf(lane.endpointId, writtenAt);
    let hold = this.holds.get(lane.endpointId);
    if (hold?.state === 'deadLettered') {
      if (endpoint?.enabled && endpoint.version > hold.configVersion) {
        // Enabled again since the chain gave up: deliver from here on.
        await this.deps.holds.delete(lane.endpointId);
        this.holds.delete(lane.endpointId);
        hold = undefined;
      } else {
        await this.deadLetterItems(record, [item], `endpoint disabled after failed deliveries: ${hold.reason ?? 'see earlier dead letters'}`);
        return this.settle(lane, [offset]);
      }
    }
    if (!endpoint) {
      this.deps.logger.debug({ endpointId: lane.endpointId, offset }, 'endpoint deleted; payload dropped');
      return this.settle(lane, [offset]);
    }
    if (!endpoint.enabled) {
      await this.deadLetterItems(record, [item], `endpoint disabled: ${endpoint.disabledReason ?? 'no reason given'}`);
      return this.settle(lane, [offset]);
    }
    if (hold) {
      span.setAttribute('tidings.lane.parked_behind', hold.batchId);
      await this.deps.holds.park(lane.endpointId, [{ sourceKey: origin, item: toWaiting(item) }]);
      return this.settle(lane, [offset]);
    }
    lane.queue.push(item);
    this.pump(lane);
  }

  private async onRetryResolved(lane: Lane, record: Extract<LaneRecord, { kind: 'retryResolved' }>, offset: number): Promise<void> {
    const hold = this.holds.get(lane.endpointId);
    if (!hold || hold.batchId !== record.batchId || (hold.state !== 'retrying' && hold.state !== 'resolved')) {
      // A duplicate, or about a batch this lane has moved past.
      return this.settle(lane, [offset]);
    }
    if (record.outcome === 'delivered') {
      const draining = { ...hold, state: 'draining' as const };
      await this.deps.holds.put(draining);
      this.holds.set(lane.endpointId, draining);
      lane.draining = true;
      this.settle(lane, [offset]);
      return this.pump(lane);
    }
    if (record.outcome === 'endpointGone') {
      await this.discardWaiting(lane.endpointId);
      await this.deps.holds.delete(lane.endpointId);
      this.holds.delete(lane.endpointId);
      return this.settle(lane, [offset]);
    }
    await this.holdAsDeadLettered(lane, hold.batchId, hold.attempt, record.reason ?? 'retries exhausted');
    this.settle(lane, [offset]);
  }

  /**
   * The endpoint as of a record written at `writtenAt`. The trigger routed to it, so its config
   * was written before: an endpoint this view does not know yet is read up to date before it
   * counts as deleted, unless a read that started after the record was written already says so.
   */
  private async endpointAsOf(endpointId: string, writtenAt: number): Promise<EndpointState | undefined> {
    const known = this.deps.directory.get(endpointId);
    if (known || this.syncedFrom - CLOCK_SKEW_MARGIN_MS > writtenAt) return known;
    await this.syncDirectory();
    return this.deps.directory.get(endpointId);
  }

  private async syncDirectory(): Promise<void> {
    const started = Date.now();
    await this.deps.directory.sync();
    this.syncedFrom = Math.max(this.syncedFrom, started);
  }

  /**
   * Starts the next batch if none is in flight: from the queue, or the next page of a drain.
   * The batch forms once a connection to the egress is free, so while every connection is busy
   * it takes in what keeps arriving (within the batch limits) instead of going out small.
   */
  private pump(lane: Lane): void {
    if (lane.inFlight || lane.abandoned || this.stopping) return;
    if (lane.queue.length === 0) {
      if (lane.draining) {
        lane.inFlight = true;
        lane.serially(() => this.loadDrainPage(lane), (error) => this.fail(lane, error));
      }
      return;
    }
    lane.inFlight = true;
    void this.deps.dispatcher.reserve('payload').then((slot) => this.sendNext(lane, slot));
  }

  private sendNext(lane: Lane, slot: EgressSlot): void {
    const next = lane.abandoned || this.stopping ? undefined : takeBatch(lane.queue, this.deps.limits);
    if (!next) {
      slot.release();
      lane.inFlight = false;
      return;
    }
    const taken = lane.queue.splice(0, next.taken);
    this.deps.metrics.batchFormed(next.batch.events.length);
    const span = this.startBatchSpan(lane, next.batch, taken);
    void context.with(trace.setSpan(ROOT_CONTEXT, span), () => this.deliver(lane, slot, next.batch, taken, span));
  }

  /**
   * A batch fresh from the topic continues its first event's trace (linking the others'); one
   * that waited behind a retry starts a new trace linked to where its events came from.
   */
  private startBatchSpan(lane: Lane, batch: DeliveryBatch, taken: QueuedItem[]): Span {
    const [first] = taken;
    const fresh = first?.consumedBy !== undefined && first.seq === undefined;
    const links: Link[] = taken
      .slice(fresh ? 1 : 0, MAX_SPAN_LINKS)
      .flatMap((i) => (i.consumedBy ? [{ context: i.consumedBy }] : []));
    return tracer.startSpan(
      'deliver batch',
      {
        root: !fresh,
        links,
        attributes: {
          'tidings.endpoint.id': lane.endpointId,
          'tidings.batch.id': batch.id,
          'tidings.batch.event_count': batch.events.length,
          'tidings.batch.drained': first?.seq !== undefined,
        },
      },
      fresh ? trace.setSpanContext(ROOT_CONTEXT, first.consumedBy!) : ROOT_CONTEXT,
    );
  }

  private async loadDrainPage(lane: Lane): Promise<void> {
    lane.inFlight = false;
    const page = await this.deps.holds.waiting(lane.endpointId, DRAIN_PAGE);
    if (page.length === 0) {
      if (await this.deps.holds.releaseIfDrained(lane.endpointId)) {
        this.holds.delete(lane.endpointId);
        lane.draining = false;
        this.deps.logger.info({ endpointId: lane.endpointId }, 'endpoint caught up; delivering directly again');
      } else {
        this.pump(lane); // parked meanwhile: another page
      }
      return;
    }
    const now = Date.now();
    // Waiting events were held back, not new: they batch together without regard to linger.
    lane.queue.push(
      ...page.map(({ seq, sourceKey, item }): QueuedItem => {
        const consumedBy = fromTraceparent(item.traceparent);
        return item.kind === 'event' ? { ...eventItem(item.event, sourceKey, now), seq, consumedBy } : { kind: 'batch', batch: item.batch, origin: sourceKey, receivedAt: now, seq, consumedBy };
      }),
    );
    this.pump(lane);
  }

  private async deliver(lane: Lane, slot: EgressSlot, batch: DeliveryBatch, taken: QueuedItem[], span: Span): Promise<void> {
    const offsets = taken.map((i) => i.offset);
    const lastSeq = taken.reduce<number | undefined>((max, i) => (i.seq === undefined ? max : Math.max(max ?? 0, i.seq)), undefined);
    const endpoint = this.deps.directory.get(lane.endpointId);
    try {
      let result: AttemptOutcome | undefined;
      try {
        // Deleted or disabled while queued: dropped or dead-lettered, never sent.
        if (endpoint?.enabled) result = await this.deps.dispatcher.dispatch(slot, 'payload', deliveryTarget(endpoint, this.deps.secretBox), batch, 1);
      } finally {
        slot.release(); // the unused slot; after a send, already given back
      }
      lane.serially(
        async () => {
          if (lane.abandoned) return span.end();
          if (!result || !endpoint) {
            if (endpoint) await this.deps.records.deadLetter(endpoint, batch, 'endpointDisabled', 0, `endpoint disabled: ${endpoint.disabledReason ?? 'no reason given'}`);
            if (lastSeq !== undefined) await this.deps.holds.deleteWaiting(lane.endpointId, lastSeq);
          } else if (result.outcome === 'delivered') {
            await this.deps.records.attempt(endpoint, batch, 1, result, null);
            if (lastSeq !== undefined) await this.deps.holds.deleteWaiting(lane.endpointId, lastSeq);
          } else {
            const after = await this.deps.router.route(endpoint, batch, 1, result, new Date().toISOString(), toTraceparent(span.spanContext()));
            await this.holdBehind(lane, endpoint, batch, after.next === 'retry' ? { state: 'retrying', attempt: after.attempt, reason: null } : { state: 'deadLettered', attempt: 1, reason: after.reason }, lastSeq);
          }
          span.end();
          this.settle(lane, offsets);
          lane.inFlight = false;
          this.pump(lane);
        },
        (error) => this.fail(lane, error, span),
      );
    } catch (error) {
      this.fail(lane, error, span);
    }
  }

  /**
   * The batch in flight failed: it is the endpoint's held batch now. What was queued behind it
   * moves to the waiting table (a drain's items are there already).
   */
  private async holdBehind(lane: Lane, endpoint: EndpointState, batch: DeliveryBatch, next: Pick<DeliveryHold, 'state' | 'attempt' | 'reason'>, lastSeq: number | undefined): Promise<void> {
    const hold: DeliveryHold = { endpointId: lane.endpointId, batchId: batch.id, configVersion: endpoint.version, lanePartition: lane.partition, ...next };
    if (lastSeq !== undefined) await this.deps.holds.holdDrainedBatch(hold, lastSeq);
    else await this.deps.holds.put(hold);
    this.holds.set(lane.endpointId, hold);
    const queued = lane.queue.splice(0);
    if (lane.draining) lane.draining = false;
    else {
      await this.deps.holds.park(lane.endpointId, queued.map((i) => ({ sourceKey: i.origin, item: toWaiting(i) })));
      this.settle(lane, queued.map((i) => i.offset));
    }
    if (hold.state === 'deadLettered') await this.holdAsDeadLettered(lane, hold.batchId, hold.attempt, hold.reason ?? 'the endpoint is gone');
  }

  /** The chain gave up: everything waiting follows the batch to the dead letters. */
  private async holdAsDeadLettered(lane: Lane, batchId: string, attempt: number, reason: string): Promise<void> {
    const endpoint = this.deps.directory.get(lane.endpointId);
    const hold: DeliveryHold = { endpointId: lane.endpointId, batchId, attempt, state: 'deadLettered', configVersion: endpoint?.version ?? 0, reason, lanePartition: lane.partition };
    await this.deps.holds.put(hold);
    this.holds.set(lane.endpointId, hold);
    lane.draining = false;
    const ref = { endpointId: lane.endpointId, tailnet: endpoint?.tailnet ?? 'unknown' };
    for (let page = await this.deps.holds.waiting(lane.endpointId, DRAIN_PAGE); page.length > 0; page = await this.deps.holds.waiting(lane.endpointId, DRAIN_PAGE)) {
      const items: LaneItem[] = page.map(({ sourceKey, item }) => (item.kind === 'event' ? eventItem(item.event, sourceKey, 0) : { kind: 'batch', batch: item.batch, origin: sourceKey, receivedAt: 0 }));
      while (items.length > 0) {
        const { batch, taken } = takeBatch(items, { ...this.deps.limits, lingerMs: Number.POSITIVE_INFINITY })!;
        items.splice(0, taken);
        await this.deps.records.deadLetter(ref, batch, 'endpointDisabled', 0, `waited behind batch ${batchId}, which was dead-lettered: ${reason}`);
      }
      await this.deps.holds.deleteWaiting(lane.endpointId, page.at(-1)!.seq);
    }
  }

  private async discardWaiting(endpointId: string): Promise<void> {
    for (let page = await this.deps.holds.waiting(endpointId, DRAIN_PAGE); page.length > 0; page = await this.deps.holds.waiting(endpointId, DRAIN_PAGE)) {
      await this.deps.holds.deleteWaiting(endpointId, page.at(-1)!.seq);
    }
  }

  private async deadLetterItems(record: LaneRecord, items: QueuedItem[], reason: string): Promise<void> {
    for (const item of items) {
      const batch = item.kind === 'batch' ? item.batch : { id: batchIdFor(item.origin), events: [item.event] };
      await this.deps.records.deadLetter({ endpointId: record.endpointId, tailnet: record.tailnet }, batch, 'endpointDisabled', 0, reason);
    }
  }

  /**
   * A state change failed (Postgres or Kafka unavailable). The lane's records were not settled,
   * so the partition is read again from its commit point: every lane on it starts over
   * (deliveries may repeat, with the same event ids; nothing is skipped).
   */
  private fail(lane: Lane, error: unknown, span?: Span): void {
    if (span?.isRecording()) {
      recordFailure(span, error);
      span.end();
    }
    if (lane.abandoned) return;
    this.deps.logger.error({ err: error, endpointId: lane.endpointId, partition: lane.partition }, 'lane state change failed; the partition is read again from its commit point');
    const offsets = this.partitions.get(lane.partition);
    const from = offsets?.commitPoint();
    for (const [id, l] of this.lanes) {
      if (l.partition !== lane.partition) continue;
      l.abandoned = true;
      this.lanes.delete(id);
    }
    if (!offsets || from === undefined) return;
    this.partitions.set(lane.partition, new PartitionOffsets());
    this.rewind?.(lane.partition, from);
  }

  /** Set by the consumer: moves the partition's read position back to `offset`. */
  rewind: ((partition: number, offset: number) => void) | undefined;
}

function toWaiting(item: QueuedItem): WaitingItem {
  const traceparent = item.consumedBy ? { traceparent: toTraceparent(item.consumedBy) } : {};
  return item.kind === 'event' ? { kind: 'event', event: item.event, ...traceparent } : { kind: 'batch', batch: item.batch, ...traceparent };
}
