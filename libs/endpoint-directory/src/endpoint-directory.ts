import { categoryOfType, endpointConfigEventSchema, relayConfigEventSchema, type EventType, type ResolvedConsumer } from '@tidings/contracts';
import { decodeJsonRecord, TopicReplayer, undecodableReason, type ConsumedRecord } from '@tidings/kafka';
import type { Logger } from '@tidings/telemetry';
import type { Kafka } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';
import { applyConfigEvent, type EndpointState } from './endpoint-state';
import { RelayOutputsFold } from './relay-outputs';

/** Record timestamps come from their writer's clock, sync times from ours. */
const CLOCK_SKEW_MARGIN_MS = 5_000;

/**
 * An in-memory view of every endpoint, built by replaying the endpoint-config log on boot and
 * kept current by following its tail. The trigger routes with it; the publisher signs with it.
 */
export class EndpointDirectory {
  private readonly endpoints = new Map<string, EndpointState>();
  private readonly byTailnet = new Map<string, Set<string>>();
  private replayer: TopicReplayer | undefined;
  private relayReplayer: TopicReplayer | undefined;
  private readonly relayOutputs = new RelayOutputsFold();
  private readonly unreadable: Counter<'reason'> | undefined;
  /** Every config event written before this time (ms, our clock) is in the view. */
  private syncedFrom = 0;

  /** With a registry, unreadable config events are counted there (`tidings_endpoint_view_unreadable_events_total`). */
  constructor(
    private readonly logger: Logger,
    registry?: Registry,
  ) {
    this.unreadable =
      registry &&
      new Counter({
        name: 'tidings_endpoint_view_unreadable_events_total',
        help: 'Endpoint config events this service\'s endpoint view could not read and skipped (each replay counts them again), by reason (not_json, invalid)',
        labelNames: ['reason'] as const,
        registers: [registry],
      });
  }

  /**
   * Replays the endpoint-config log under the service's `replay` declaration; resolves once the
   * view includes every event that existed at the call.
   */
  async start(kafka: Kafka, declared: ResolvedConsumer): Promise<void> {
    this.replayer = new TopicReplayer(kafka, { declared, logger: this.logger, onRecord: (r) => this.ingest(r) });
    await this.replayer.start();
    this.logger.info({ endpoints: this.endpoints.size }, 'endpoint directory ready');
  }

  /**
   * Also replays the relay config log (the publisher's view): each inbound relay output becomes
   * an endpoint marked `relay`. Resolves once the view includes every event that existed at the call.
   */
  async followRelayOutputs(kafka: Kafka, declared: ResolvedConsumer): Promise<void> {
    this.relayReplayer = new TopicReplayer(kafka, { declared, logger: this.logger, onRecord: (r) => this.ingestRelay(r) });
    await this.relayReplayer.start();
  }

  /** Waits until the view includes every config event already in Kafka (read-your-writes). */
  async sync(): Promise<void> {
    const started = Date.now();
    await Promise.all([this.replayer?.sync(), this.relayReplayer?.sync()]);
    this.syncedFrom = Math.max(this.syncedFrom, started);
  }

  /**
   * The endpoint as of a record written at `writtenAt` (ms) that names it: its config was
   * written before, so an endpoint this view does not know yet is read up to date before it
   * counts as deleted, unless a sync that started after the record was written already says so.
   */
  async getAsOf(endpointId: string, writtenAt: number): Promise<EndpointState | undefined> {
    const known = this.endpoints.get(endpointId);
    if (known || this.syncedFrom - CLOCK_SKEW_MARGIN_MS > writtenAt) return known;
    await this.sync();
    return this.endpoints.get(endpointId);
  }

  async stop(): Promise<void> {
    await Promise.all([this.replayer?.stop(), this.relayReplayer?.stop()]);
  }

  get(endpointId: string): EndpointState | undefined {
    return this.endpoints.get(endpointId);
  }

  get size(): number {
    return this.endpoints.size;
  }

  /** Enabled endpoints of the tailnet subscribed to the type itself or to its category. */
  subscribersOf(tailnet: string, type: EventType): EndpointState[] {
    const category = categoryOfType(type);
    const result: EndpointState[] = [];
    for (const id of this.byTailnet.get(tailnet) ?? []) {
      const e = this.endpoints.get(id)!;
      if (e.enabled && (e.subscriptions.includes(type) || (category !== undefined && e.subscriptions.includes(category)))) result.push(e);
    }
    return result;
  }

  private ingestRelay(record: ConsumedRecord): void {
    const decoded = decodeJsonRecord(record, relayConfigEventSchema);
    if (!decoded.ok) {
      this.logger.error({ partition: record.partition, offset: record.offset, reason: decoded.reason }, 'skipping unreadable relay config event');
      this.unreadable?.inc({ reason: undecodableReason(record) });
      return;
    }
    const { set, deleted } = this.relayOutputs.apply(decoded.value);
    for (const state of set) this.put(state);
    for (const id of deleted) this.remove(id, decoded.value.tailnet);
  }

  private put(state: EndpointState): void {
    this.endpoints.set(state.endpointId, state);
    if (!this.byTailnet.has(state.tailnet)) this.byTailnet.set(state.tailnet, new Set());
    this.byTailnet.get(state.tailnet)!.add(state.endpointId);
  }

  private remove(endpointId: string, tailnet: string): void {
    this.endpoints.delete(endpointId);
    this.byTailnet.get(tailnet)?.delete(endpointId);
  }

  private ingest(record: ConsumedRecord): void {
    const decoded = decodeJsonRecord(record, endpointConfigEventSchema);
    if (!decoded.ok) {
      // Skipped, not dead-lettered: the log is kept for ever, so the record stays where an operator
      // can read it, and every instance replays it on every boot; copies would bury real dead letters.
      this.logger.error({ partition: record.partition, offset: record.offset, reason: decoded.reason }, 'skipping unreadable endpoint config event');
      this.unreadable?.inc({ reason: undecodableReason(record) });
      return;
    }
    const event = decoded.value;
    const { state, outcome } = applyConfigEvent(this.endpoints.get(event.endpointId), event);
    if (outcome !== 'applied') {
      if (outcome !== 'duplicate') this.logger.warn({ endpointId: event.endpointId, version: event.version, outcome }, 'config event not applied');
      return;
    }
    if (state) this.put(state);
    else this.remove(event.endpointId, event.tailnet);
  }
}
