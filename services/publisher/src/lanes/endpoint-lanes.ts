import { ROOT_CONTEXT, context, trace, type Span } from '@opentelemetry/api';
import { laneRecordSchema, type DeliveryBatch, type LaneRecord } from '@tidings/contracts';
import type { EndpointDirectory, EndpointState } from '@tidings/endpoint-directory';
import { decodeJsonRecord, detachRecord, startProcessSpan, type ConsumedRecord } from '@tidings/kafka';
import { recordFailure, toTraceparent, type Logger } from '@tidings/telemetry';
import type { DeliverBatch } from '../delivery/deliver-batch';
import type { AttemptOutcome } from '../delivery/delivery-terms';
import type { DeliveryHold, ParkedItem } from '../holds/delivery-holds.repository';
import type { HoldEffects } from '../holds/hold-effects';
import { transition, type HoldEffect, type HoldEvent, type Transition } from '../holds/hold-machine';
import { companyWaitMs, eventItem, type BatchLimits } from './batch-former';
import { BatchClaimed, type BatchIntent, type BatchIntents } from './batch-intents';
import { startBatchSpan } from './batch-span';
import { EventInterner } from './event-interner';
import { Lane } from './lane';
import { LaneBatches } from './lane-batches';
import { PartitionOffsets } from './partition-offsets';
import { fromWaiting, type QueuedItem } from './queued-item';

/** What a hold effect acts on besides the endpoint: the payload just read, or a drain page. */
interface EffectInput {
  record?: LaneRecord;
  item?: QueuedItem;
  span?: Span;
  page?: ParkedItem[];
}

/** A batch taken from a lane, and what sending it came to (nothing: not sent). */
interface Sending {
  batch: DeliveryBatch;
  taken: QueuedItem[];
  endpoint: EndpointState | undefined;
  span: Span;
  result: AttemptOutcome | undefined;
  /** Recorded before the POST: settled once the attempt is. */
  intent: BatchIntent | undefined;
}

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
  private readonly holds: HoldEffects;
  private readonly events = new EventInterner();
  private readonly batches: LaneBatches;
  /** Shutting down: batches in flight finish, no new one starts. */
  private stopping = false;
  /** Rebalancing: no batch forms until the assignment is known, so a new owner loads every intent. */
  private rebalancing = false;

  constructor(
    private readonly deps: {
      directory: EndpointDirectory;
      holds: HoldEffects;
      deliver: DeliverBatch;
      intents: BatchIntents;
      /** Batch limits, and the consumer group the lanes' partitions belong to (named on their spans). */
      settings: { limits: BatchLimits; groupId: string };
      logger: Logger;
    },
  ) {
    this.holds = deps.holds;
    this.batches = new LaneBatches(deps.intents, deps.settings.limits, (id) => deps.directory.get(id));
  }

  /**
   * A new assignment: partitions no longer ours are abandoned (their new owner re-reads what
   * was not committed), holds are reloaded, and drains that were under way resume.
   */
  async assign(owned: number[]): Promise<void> {
    const keep = new Set(owned);
    for (const [partition] of this.partitions) if (!keep.has(partition)) this.partitions.delete(partition);
    for (const lane of [...this.lanes.values()]) if (!keep.has(lane.partition)) await this.step(lane, { kind: 'revoked' });
    for (const p of owned) if (!this.partitions.has(p)) this.partitions.set(p, new PartitionOffsets());
    await this.deps.intents.load(owned);
    this.rebalancing = false;
    for (const lane of this.lanes.values()) this.pump(lane);
    for (const hold of await this.holds.reload()) {
      if (!keep.has(hold.lanePartition)) continue;
      const t = transition(hold, { kind: 'assigned', laneDraining: this.lanes.get(hold.endpointId)?.draining ?? false });
      if (t.effects.length > 0) await this.carryOut(this.lane(hold.endpointId, hold.lanePartition), t);
    }
  }

  /** The group started rebalancing (kafkajs REBALANCING): batches in flight go on, none starts. */
  pauseForRebalance(): void {
    this.rebalancing = true;
  }

  /** Records of one partition, in offset order. Work is queued per endpoint; this returns at once. */
  accept(records: ConsumedRecord[]): void {
    for (const record of records) {
      const offsets = this.partitions.get(record.partition);
      if (!offsets) return;
      const offset = Number(record.offset);
      if (!offsets.accept(offset)) continue;
      const decoded = decodeJsonRecord(record, laneRecordSchema);
      if (decoded.ok) this.queue(decoded.value, detachRecord(record), offset);
      else this.deadLetterUnreadable(record, offsets, decoded.reason);
    }
  }

  /**
   * Queues a record's work in its lane's order, detached from its fetch's buffer (see
   * `detachRecord`). Its span opens when its turn comes, dated from now: a busy lane holds its
   * waiting records, not an open span for each.
   */
  private queue(lr: LaneRecord, source: ConsumedRecord, offset: number): void {
    let bytes: number | undefined;
    if (lr.kind === 'event') ({ event: lr.event, bytes } = this.events.intern(lr.event));
    const lane = this.lane(lr.endpointId, source.partition);
    const acceptedAt = Date.now();
    lane.serially(() => {
      const span = startProcessSpan(source, { groupId: this.deps.settings.groupId, attributes: { 'tidings.endpoint.id': lr.endpointId, 'tidings.lane.record': lr.kind }, startTime: acceptedAt });
      return context.with(trace.setSpan(ROOT_CONTEXT, span), () => this.onRecord(lane, lr, { offset, writtenAt: Number(source.timestamp), bytes }, span)).finally(() => span.end());
    }, (error) => this.fail(lane, error));
  }

  /** Settled once on the internal dead letters: a failed write leaves it to be read again. */
  private deadLetterUnreadable(record: ConsumedRecord, offsets: PartitionOffsets, reason: string): void {
    void this.unreadable(record, reason).then(
      () => offsets.settle(Number(record.offset)),
      (error: unknown) => this.deps.logger.error({ err: error, partition: record.partition, offset: record.offset }, 'unreadable lane record not dead-lettered; read again after a restart'),
    );
  }

  /** Records accepted and not finished on a partition (backpressure). */
  pending(partition: number): number {
    return this.partitions.get(partition)?.pending ?? 0;
  }

  commitPoints(): { partition: number; offset: number }[] {
    return [...this.partitions].flatMap(([partition, o]) => {
      const offset = o.commitPoint();
      if (offset !== undefined) this.deps.intents.prune(partition, offset);
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
    const lane = this.lanes.get(endpointId) ?? new Lane(endpointId, partition);
    this.lanes.set(endpointId, lane);
    return lane;
  }

  private settle(lane: Lane, offsets: (number | undefined)[]): void {
    if (lane.abandoned) return;
    const p = this.partitions.get(lane.partition);
    for (const o of offsets) if (o !== undefined) p?.settle(o);
  }

  private async onRecord(lane: Lane, record: LaneRecord, { offset, writtenAt, bytes }: { offset: number; writtenAt: number; bytes: number | undefined }, span: Span): Promise<void> {
    if (lane.abandoned) return;
    const origin = `${lane.partition}@${offset}`;
    if (record.kind === 'retryResolved') {
      const configVersion = this.deps.directory.get(lane.endpointId)?.version ?? 0;
      await this.step(lane, { kind: 'retryResolved', batchId: record.batchId, outcome: record.outcome, reason: record.reason ?? null, configVersion });
      return this.settle(lane, [offset]);
    }
    // Its batch went out before this partition was read again, and what came of it is recorded.
    if (record.kind === 'event' && this.deps.intents.settles(lane.endpointId, origin)) return this.settle(lane, [offset]);
    const consumedBy = toTraceparent(span.spanContext());
    const item: QueuedItem =
      record.kind === 'event'
        ? { ...eventItem(record.event, origin, Date.now(), bytes), offset, consumedBy }
        : { kind: 'batch', batch: record.batch, origin, receivedAt: Date.now(), offset, consumedBy };
    // A replay follows an enable the API just published: make sure this view has it.
    if (record.kind === 'replay') await this.deps.directory.sync();
    // The trigger routed to it, so its config was written before the record.
    const endpoint = await this.deps.directory.getAsOf(lane.endpointId, writtenAt);
    const view = endpoint && { enabled: endpoint.enabled, version: endpoint.version, disabledReason: endpoint.disabledReason };
    const t = await this.step(lane, { kind: 'payloadArrived', endpoint: view }, { record, item, span });
    // Queued for delivery, the offset settles once the batch is done; otherwise it is done now.
    if (!t.effects.some((e) => e.kind === 'deliver')) this.settle(lane, [offset]);
  }

  /** Asks the hold machine what `event` means for the lane's endpoint, and carries it out. */
  private async step(lane: Lane, event: HoldEvent, input: EffectInput = {}): Promise<Transition> {
    const t = transition(this.holds.current(lane.endpointId), event);
    await this.carryOut(lane, t, input);
    return t;
  }

  /** An illegal event fails the lane: its partition is read again rather than the hold guessed at. */
  private async carryOut(lane: Lane, t: Transition, input: EffectInput = {}): Promise<void> {
    if (t.illegal) throw new Error(`endpoint ${lane.endpointId}: the hold machine refuses ${t.illegal}`);
    for (const effect of t.effects) if (!(await this.holds.run(lane.endpointId, effect))) await this.laneEffect(lane, effect, input);
  }

  private async laneEffect(lane: Lane, effect: HoldEffect, { record, item, span, page }: EffectInput): Promise<void> {
    switch (effect.kind) {
      case 'deliver':
        lane.queue.push(item!);
        return this.pump(lane);
      case 'park':
        span?.setAttribute('tidings.lane.parked_behind', effect.behind);
        return this.holds.park(lane.endpointId, [item!]);
      case 'deadLetterPayload':
        return this.holds.deadLetterItems({ endpointId: record!.endpointId, tailnet: record!.tailnet }, [item!], effect.reason);
      case 'dropPayload':
        return this.deps.logger.debug({ endpointId: lane.endpointId, offset: item?.offset }, 'endpoint deleted; payload dropped');
      case 'parkQueued': {
        const queued = lane.queue.splice(0);
        await this.holds.park(lane.endpointId, queued);
        return this.settle(lane, queued.map((i) => i.offset));
      }
      case 'dropQueued':
        lane.queue.splice(0); // drained items: their rows are still in the waiting table
        return;
      case 'startDrain':
        lane.draining = true;
        return this.pump(lane);
      case 'stopDrain':
        lane.draining = false;
        return;
      case 'loadDrainPage':
        return this.pump(lane); // parked meanwhile: another page
      case 'queueDrainPage': {
        const now = Date.now();
        lane.queue.push(...page!.map((p) => fromWaiting(p, now)));
        return this.pump(lane);
      }
      case 'releaseIfDrained': {
        const released = await this.holds.releaseIfDrained(lane.endpointId);
        if (released) this.deps.logger.info({ endpointId: lane.endpointId }, 'endpoint caught up; delivering directly again');
        await this.step(lane, { kind: 'drainReleased', released });
        return;
      }
      case 'abandonLane':
        lane.abandoned = true;
        this.lanes.delete(lane.endpointId);
        return;
      default:
        throw new Error(`a lane cannot carry out ${effect.kind}`);
    }
  }

  /** Starts the next batch if none is in flight: from the queue, or the next page of a drain. */
  private pump(lane: Lane): void {
    if (lane.inFlight || lane.abandoned || this.stopping || this.rebalancing) return;
    if (lane.queue.length === 0) {
      if (lane.draining) {
        lane.inFlight = true;
        lane.serially(() => this.loadDrainPage(lane), (error) => this.fail(lane, error));
      }
      return;
    }
    lane.inFlight = true;
    // Outside the caller's span (the batch has its own): a lane waiting for a connection would keep it alive.
    context.with(ROOT_CONTEXT, () => this.sendNext(lane));
  }

  /**
   * The batch forms once a connection to the egress is free, so while every connection is busy
   * it takes in what keeps arriving (within the batch limits) instead of going out small.
   */
  private sendNext(lane: Lane): void {
    const sending: Partial<Sending> = {};
    this.deps.deliver.whenFormed(
      {
        kind: 'payload',
        attempt: 1,
        form: (backlogged) => {
          const next = lane.abandoned || this.stopping || this.rebalancing ? undefined : this.batches.next(lane, Date.now());
          if (next === 'wait') setTimeout(() => this.pump(lane), 500).unref();
          if (!next || next === 'wait') return undefined;
          const limitedMs = this.batches.limitedForMs(lane, Date.now());
          if (limitedMs > 0) return { laterInMs: limitedMs, reason: 'rateLimit' };
          const laterInMs = next.replayed ? 0 : companyWaitMs(lane.queue, next.taken, this.batches.limits(lane), Date.now(), backlogged);
          if (laterInMs > 0) return { laterInMs, reason: 'company' };
          this.batches.sending(lane, Date.now());
          const taken = lane.queue.splice(0, next.taken);
          const endpoint = this.deps.directory.get(lane.endpointId);
          Object.assign(sending, { batch: next.batch, taken, endpoint, span: startBatchSpan(lane.endpointId, next.batch, taken) });
          sending.intent = this.batches.intentOf(lane, next, taken);
          // A new batch claims its records before its first POST, so a re-read re-forms it.
          const fresh = !next.replayed && sending.intent;
          const before = fresh ? () => this.deps.intents.record(fresh) : undefined;
          // Deleted or disabled while queued: dropped or dead-lettered, never sent.
          return { batch: next.batch, to: endpoint?.enabled ? { endpoint } : undefined, span: sending.span, before };
        },
      },
      (sent) => void this.whenSent(lane, sending, sent),
    );
  }

  /** What sending came to (nothing formed: the lane is free again), acted on in the lane's serial order. */
  private async whenSent(lane: Lane, sending: Partial<Sending>, sent: Promise<AttemptOutcome | undefined>): Promise<void> {
    try {
      const result = await sent;
      if (!sending.span) {
        lane.inFlight = false;
        return;
      }
      const formed = { ...sending, result } as Sending;
      lane.serially(() => context.with(trace.setSpan(ROOT_CONTEXT, formed.span), () => this.afterSend(lane, formed)), (error) => this.fail(lane, error, formed.span));
    } catch (error) {
      if (error instanceof BatchClaimed) return this.claimedElsewhere(lane, error, sending.span);
      this.fail(lane, error, sending.span);
    }
  }

  /**
   * Another batch claimed some of these records first (an instance that owned the partition
   * before, or believes it still does): nothing was sent. The partition is read again with that
   * batch's intent loaded, so it goes out as it was formed, never re-batched under a new id.
   */
  private async claimedElsewhere(lane: Lane, claimed: BatchClaimed, span: Span | undefined): Promise<void> {
    this.deps.logger.warn({ endpointId: lane.endpointId, partition: lane.partition, batchId: claimed.intent.batchId }, 'records claimed by another batch; reading the partition again to send that one');
    await this.deps.intents.reload(lane.partition).catch((error: unknown) => this.deps.logger.error({ err: error, partition: lane.partition }, 'batch intents not reloaded'));
    this.fail(lane, claimed, span);
  }

  private async loadDrainPage(lane: Lane): Promise<void> {
    lane.inFlight = false;
    const page = await this.holds.waiting(lane.endpointId);
    await this.step(lane, { kind: 'drainPageLoaded', size: page.length }, { page });
  }

  /** What a sent (or refused) batch means for the lane, in its serial order. */
  private async afterSend(lane: Lane, { batch, taken, endpoint, span, result, intent }: Sending): Promise<void> {
    if (lane.abandoned) return span.end();
    const lastSeq = taken.reduce<number | undefined>((max, i) => (i.seq === undefined ? max : Math.max(max ?? 0, i.seq)), undefined);
    if (!result || !endpoint) {
      if (endpoint) await this.deps.deliver.refuse(endpoint, batch, 0, endpoint.disabledReason);
      if (lastSeq !== undefined) await this.step(lane, { kind: 'drainedBatchDone', throughSeq: lastSeq });
    } else {
      const after = await this.deps.deliver.record(endpoint, batch, 1, result, { firstFailedAt: new Date().toISOString(), originTraceparent: toTraceparent(span.spanContext()) });
      if (after.next === 'delivered') {
        if (lastSeq !== undefined) await this.step(lane, { kind: 'drainedBatchDone', throughSeq: lastSeq });
      } else {
        const next: Pick<DeliveryHold, 'state' | 'attempt' | 'reason'> = after.next === 'retry' ? { state: 'retrying', attempt: after.attempt, reason: null } : { state: 'deadLettered', attempt: 1, reason: after.reason };
        const hold: DeliveryHold = { endpointId: lane.endpointId, batchId: batch.id, configVersion: endpoint.version, lanePartition: lane.partition, ...next };
        const configVersion = this.deps.directory.get(lane.endpointId)?.version ?? 0;
        await this.step(lane, { kind: 'firstAttemptFailed', hold, configVersion, ...(lastSeq === undefined ? {} : { throughSeq: lastSeq }) });
      }
    }
    if (intent) await this.deps.intents.settle(intent);
    span.end();
    this.settle(lane, taken.map((i) => i.offset));
    lane.inFlight = false;
    this.pump(lane);
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

  /** Set by the consumer: puts an unreadable lane record on the internal dead letters. */
  unreadable: (record: ConsumedRecord, reason: string) => Promise<void> = () => Promise.reject(new Error('no dead-letter topic wired'));
}
