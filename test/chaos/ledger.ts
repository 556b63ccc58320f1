import type { DeadLetterRecord } from '@tidings/contracts';
import type { ProducedEvent } from './event-source';
import type { Arrival, ChaosEndpoint } from './receiver-fleet';

/** One line of the ledger: a check, whether it held, and the figures or the breach. */
export interface LedgerRow {
  check: string;
  ok: boolean;
  detail: string;
}

/** What the webhook looked like at the end (GET /api/v2/webhooks/{id}). */
export interface EndpointState {
  status: string;
  disabledReason: string | null;
  lastModified: string;
}

export interface LedgerInput {
  produced: ProducedEvent[];
  endpoints: ChaosEndpoint[];
  arrivals: Map<string, Arrival[]>;
  deadLetters: DeadLetterRecord[];
  /** Per endpoint that fails for good (gone, dying), the ids of the events the trigger routed to it (committed lane records). */
  routed: Map<string, Set<string>>;
  states: Map<string, EndpointState>;
  badSent: number;
  domainDeadLetters: number;
}

/**
 * The exact account of a run: every (event, endpoint) pair delivered at least once or
 * dead-lettered with its cause and the endpoint told (disabled, with a reason); duplicates only
 * as the same webhook-id with the same body; each endpoint's first arrivals in produced order;
 * no event under two webhook-ids; valid signatures on every request; unusable input on the DLQ.
 */
export function auditDeliveries(input: LedgerInput): LedgerRow[] {
  const rows: LedgerRow[] = [];
  const byTailnet = new Map<string, ProducedEvent[]>();
  for (const e of input.produced) byTailnet.set(e.tailnet, [...(byTailnet.get(e.tailnet) ?? []), e]);
  const deadByEndpoint = new Map<string, Set<string>>();
  for (const d of input.deadLetters) {
    const ids = deadByEndpoint.get(d.endpointId) ?? new Set<string>();
    for (const e of d.batch.events) ids.add(e.id);
    deadByEndpoint.set(d.endpointId, ids);
  }

  let pairs = 0;
  let delivered = 0;
  let deadLettered = 0;
  const missing: string[] = [];
  const unexpectedDead: string[] = [];
  const untold: string[] = [];
  for (const endpoint of input.endpoints) {
    const events = byTailnet.get(endpoint.tailnet) ?? [];
    const arrived = new Set((input.arrivals.get(endpoint.path) ?? []).filter((a) => a.status === 200).flatMap((a) => a.eventIds));
    const dead = deadByEndpoint.get(endpoint.endpointId) ?? new Set<string>();
    const state = input.states.get(endpoint.endpointId);
    const disabledAt = state?.status === 'disabled' ? Date.parse(state.lastModified) : Infinity;
    if ((endpoint.kind === 'gone' || endpoint.kind === 'dying') && state?.status !== 'disabled') untold.push(`${endpoint.path} (${endpoint.kind}) is ${state?.status ?? 'unknown'}`);
    if (endpoint.kind !== 'gone' && endpoint.kind !== 'dying' && dead.size > 0) unexpectedDead.push(`${endpoint.path} (${endpoint.kind}): ${dead.size} events`);
    const routed = input.routed.get(endpoint.endpointId);
    for (const event of events) {
      // Once the trigger knows an endpoint is disabled it stops routing to it, whenever the
      // event was produced: for an endpoint that was disabled, the pairs that count are those
      // routed to it (and none produced after the disable).
      if (event.at >= disabledAt || (disabledAt !== Infinity && routed && !routed.has(event.id))) continue;
      pairs += 1;
      if (arrived.has(event.id)) delivered += 1;
      else if (dead.has(event.id)) deadLettered += 1;
      else missing.push(`${event.id} → ${endpoint.path} (${endpoint.kind})`);
    }
  }
  rows.push({ check: 'every (event, endpoint) pair delivered or dead-lettered', ok: missing.length === 0, detail: `${pairs} pairs: ${delivered} delivered, ${deadLettered} dead-lettered, ${missing.length} missing${sample(missing)}` });
  rows.push({ check: 'dead letters only where the endpoint failed for good', ok: unexpectedDead.length === 0, detail: `${input.deadLetters.length} dead-lettered batches (${causes(input.deadLetters)})${sample(unexpectedDead)}` });
  rows.push({ check: 'endpoints that failed for good are disabled, with a reason', ok: untold.length === 0, detail: untold.length === 0 ? 'all told' : sample(untold) });

  const idBreaches: string[] = [];
  const orderBreaches: string[] = [];
  const badSignatures: string[] = [];
  let duplicates = 0;
  let requests = 0;
  for (const endpoint of input.endpoints) {
    const arrivals = input.arrivals.get(endpoint.path) ?? [];
    requests += arrivals.length;
    const bodies = new Map<string, string>();
    const webhookIdOf = new Map<string, string>();
    for (const a of arrivals) {
      if (!a.signaturesValid) badSignatures.push(`${endpoint.path} ${a.webhookId}`);
      const body = bodies.get(a.webhookId);
      if (body === undefined) bodies.set(a.webhookId, a.body);
      else if (body !== a.body) idBreaches.push(`${a.webhookId} at ${endpoint.path} came with two bodies`);
      else duplicates += 1;
      for (const id of a.eventIds) {
        const other = webhookIdOf.get(id);
        if (other === undefined) webhookIdOf.set(id, a.webhookId);
        else if (other !== a.webhookId) idBreaches.push(`event ${id} at ${endpoint.path} under ${other} and ${a.webhookId}`);
      }
    }
    const position = new Map((input.produced.filter((e) => e.tailnet === endpoint.tailnet)).map((e, i) => [e.id, i]));
    let last = -1;
    const seen = new Set<string>();
    for (const a of arrivals.filter((x) => x.status === 200)) {
      for (const id of a.eventIds) {
        const at = position.get(id);
        if (at === undefined || seen.has(id)) continue;
        seen.add(id);
        if (at < last) orderBreaches.push(`${endpoint.path}: event #${at} arrived after #${last}`);
        last = Math.max(last, at);
      }
    }
  }
  rows.push({ check: 'duplicates only as the same webhook-id and body; no event under two ids', ok: idBreaches.length === 0, detail: `${requests} requests, ${duplicates} repeated${sample(idBreaches)}` });
  rows.push({ check: "each endpoint's first arrivals in produced order", ok: orderBreaches.length === 0, detail: orderBreaches.length === 0 ? 'in order' : sample(orderBreaches) });
  rows.push({ check: 'every request signed validly (both schemes)', ok: badSignatures.length === 0, detail: badSignatures.length === 0 ? `${requests} checked` : sample(badSignatures) });
  rows.push({ check: 'unusable domain events on the DLQ', ok: input.domainDeadLetters >= input.badSent, detail: `${input.badSent} sent, ${input.domainDeadLetters} dead-lettered` });
  return rows;
}

function causes(deadLetters: DeadLetterRecord[]): string {
  const counts = new Map<string, number>();
  for (const d of deadLetters) counts.set(d.cause, (counts.get(d.cause) ?? 0) + 1);
  return [...counts].map(([cause, n]) => `${cause} ${n}`).join(', ') || 'none';
}

function sample(items: string[]): string {
  return items.length === 0 ? '' : `; e.g. ${items.slice(0, 3).join('; ')}`;
}
