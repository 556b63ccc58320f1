import { randomUUID } from 'node:crypto';
import type { Message, Producer } from 'kafkajs';
import type { DeliveryProbe } from './delivery-probe';

/** The node event types the scenarios use (each scenario's endpoints subscribe to its own). */
export type EventType = 'nodeCreated' | 'nodeDeleted' | 'nodeApproved' | 'nodeNeedsApproval';

/** A node domain event as a control plane writes it (CloudEvents, structured mode). */
export function domainEvent(tailnet: string, id = randomUUID(), type: EventType = 'nodeCreated'): Message {
  const value = { specversion: '1.0', id, source: '//bench.control', type, time: new Date().toISOString(), tailnet, data: { nodeID: `n-${id.slice(0, 8)}`, deviceName: 'laptop', managedBy: 'ops@bench', actor: 'ops@bench' } };
  return { key: tailnet, value: JSON.stringify(value) };
}

const CHUNK = 500;

/** Produces `count` events spread round-robin over `tailnets`, as fast as the producer takes them. */
export async function emitBurst(producer: Producer, topic: string, tailnets: string[], count: number, type: EventType, probe: DeliveryProbe): Promise<void> {
  for (let i = 0; i < count; i += CHUNK) {
    const messages = Array.from({ length: Math.min(CHUNK, count - i) }, (_, j) => {
      const id = randomUUID();
      return { id, message: domainEvent(tailnets[(i + j) % tailnets.length]!, id, type) };
    });
    const at = Date.now();
    for (const m of messages) probe.produced(m.id, at);
    await producer.send({ topic, messages: messages.map((m) => m.message) });
  }
}

/** An offered load: `perSecond` events of one `type` for `seconds`. */
export interface OfferedLoad {
  perSecond: number;
  seconds: number;
  type: EventType;
}

/**
 * Produces events at a fixed offered rate for `seconds`, in 50 ms ticks, spread round-robin
 * over `tailnets`. Returns how many were produced (behind schedule, a tick sends what is due).
 */
export async function emitAtRate(producer: Producer, topic: string, tailnets: string[], { perSecond, seconds, type }: OfferedLoad, probe: DeliveryProbe): Promise<number> {
  const started = Date.now();
  let sent = 0;
  const total = Math.round(perSecond * seconds);
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * perSecond));
    if (due > sent) {
      const messages = Array.from({ length: due - sent }, (_, j) => {
        const id = randomUUID();
        return { id, message: domainEvent(tailnets[(sent + j) % tailnets.length]!, id, type) };
      });
      const at = Date.now();
      for (const m of messages) probe.produced(m.id, at);
      await producer.send({ topic, messages: messages.map((m) => m.message) });
      sent = due;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return sent;
}
