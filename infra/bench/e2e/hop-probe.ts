import type { Kafka } from 'kafkajs';
import type { ConsumedRecord } from '@tidings/kafka';
import { TopicReader } from '@tidings/testing';
import { percentiles, type Percentiles } from './stats';

/** Where an event's latency went, hop by hop, in ms (each hop's own percentiles). */
export interface HopBreakdown {
  /** Domain event produced → its payload written by the trigger (the payload record's timestamp): fetch, view sync, routing. */
  trigger: Percentiles | null;
  /** Payload written → visible to a read_committed reader: the rest of the trigger's transaction and its commit. */
  commit: Percentiles | null;
  /** Payload visible → the verified POST arrived: the publisher's fetch, lanes, slot, signing, the egress and the request. */
  publisher: Percentiles | null;
  /** Events the breakdown covers (produced, routed and delivered in the scenario). */
  events: number;
}

/**
 * Per-hop latency without tracing (which would add its own cost): the payload topic read as the
 * publisher reads it (read_committed, from a group of its own) gives when the trigger wrote each
 * event's payload (its record timestamp) and when it became visible; the delivery probe gives
 * when it was produced and when its POST arrived. For scenarios with one endpoint per event.
 */
export class HopProbe {
  private readonly payloads = new Map<string, { writtenAt: number; visibleAt: number }>();
  private reader: TopicReader | undefined;
  private readonly wanted: (eventId: string) => boolean;

  /** `wanted`: the events to keep (the scenario's own), so older payloads cost nothing but a parse. */
  constructor(wanted: (eventId: string) => boolean) {
    this.wanted = wanted;
  }

  async start(kafka: Kafka, payloadTopic: string): Promise<void> {
    this.reader = await TopicReader.open(kafka, payloadTopic, (r) => this.onPayload(r));
  }

  async stop(): Promise<void> {
    await this.reader?.stop();
  }

  breakdown(producedAt: ReadonlyMap<string, number>, arrivedAt: ReadonlyMap<string, number>): HopBreakdown {
    const trigger: number[] = [];
    const commit: number[] = [];
    const publisher: number[] = [];
    for (const [eventId, arrived] of arrivedAt) {
      const produced = producedAt.get(eventId);
      const payload = this.payloads.get(eventId);
      if (produced === undefined || payload === undefined) continue;
      trigger.push(payload.writtenAt - produced);
      commit.push(payload.visibleAt - payload.writtenAt);
      publisher.push(arrived - payload.visibleAt);
    }
    return { trigger: percentiles(trigger), commit: percentiles(commit), publisher: percentiles(publisher), events: trigger.length };
  }

  private onPayload(record: ConsumedRecord): void {
    const visibleAt = Date.now();
    const value = JSON.parse(record.value?.toString('utf8') ?? 'null') as { kind?: string; event?: { id?: string } } | null;
    const eventId = value?.kind === 'event' ? value.event?.id : undefined;
    if (eventId === undefined || !this.wanted(eventId)) return;
    this.payloads.set(eventId, { writtenAt: Number(record.timestamp), visibleAt });
  }
}
