import type { DeliveryBatch } from '@tidings/contracts';
import type { Logger } from '@tidings/telemetry';
import type { DataSource } from 'typeorm';
import { BatchClaimWrites } from './batch-claim-writes';
import type { QueuedItem } from './queued-item';

/** A batch as formed from lane records: its id and the offsets of its events, in order. */
export interface BatchIntent {
  endpointId: string;
  batchId: string;
  partition: number;
  offsets: number[];
  /** Its first attempt is recorded: its records are done, whatever came of it. */
  settled?: boolean;
}

/** How long a lane waits for the rest of an intent's records before forming anew. */
const INTENT_WAIT_MS = 5_000;
/** Rows behind the commit point are deleted at most this often per partition. */
const PRUNE_EVERY_MS = 10_000;

/**
 * What the head of a lane's queue makes of an intent that starts there: `ready` with the batch
 * as it was, `wait` while the rest of its records are still being read again, or `stale` when
 * the lane went another way (records parked, dead-lettered, or gone) and a new batch forms.
 */
export function replayIntent(queue: readonly QueuedItem[], intent: BatchIntent, now: number): { ready: DeliveryBatch; taken: number } | 'wait' | 'stale' {
  const run = queue.slice(0, intent.offsets.length);
  // By origin (`<partition>@<offset>`), which a record keeps when it is parked and drained.
  if (!run.every((item, i) => item.kind === 'event' && item.origin === `${intent.partition}@${intent.offsets[i]}`)) return 'stale';
  if (run.length === intent.offsets.length) return { ready: { id: intent.batchId, events: run.map((i) => (i.kind === 'event' ? i.event : undefined)!) }, taken: run.length };
  return queue.length === run.length && now - run[0]!.receivedAt < INTENT_WAIT_MS ? 'wait' : 'stale';
}

/**
 * Another batch holds a claim on some of this batch's records: an instance that owned the lane
 * partition before (or still thinks it does) formed them differently, and may have sent them.
 */
export class BatchClaimed extends Error {
  constructor(readonly intent: BatchIntent) {
    super(`records of batch ${intent.batchId} (endpoint ${intent.endpointId}, partition ${intent.partition}) are claimed by another batch`);
    this.name = 'BatchClaimed';
  }
}

interface ClaimRow {
  endpoint_id: string;
  batch_id: string;
  lane_partition: number;
  offsets: string[];
  settled: boolean;
}

/** One intent per batch, from its claims (one row per record). */
const LOAD_SQL = `
  SELECT endpoint_id, batch_id, lane_partition, array_agg(lane_offset ORDER BY lane_offset) AS offsets, bool_and(settled) AS settled
  FROM publisher_batch_claims WHERE lane_partition = ANY($1) GROUP BY endpoint_id, batch_id, lane_partition`;

/**
 * The intents of the partitions this instance owns, in Postgres and in memory. A lane partition
 * commits only up to its first unfinished record, so a slow endpoint keeps its neighbours'
 * delivered records uncommitted; a new owner reads them again, and without these it would
 * deliver them again, re-batched under new ids (or parked behind a hold and drained in other
 * batches). A batch claims its records before its first POST (the claim fails if another batch
 * has any of them), is marked settled once that attempt is recorded (two writes per batch,
 * group-committed with the other lanes' by BatchClaimWrites), and its claims are deleted once
 * the commit point is past them.
 */
export class BatchIntents {
  private readonly byEndpoint = new Map<string, BatchIntent[]>();
  /** Origins of the records of unsettled intents, per endpoint: a new batch stops before them. */
  private readonly claimed = new Map<string, Set<string>>();
  /** Origins of the records of settled intents, per endpoint: read again, they are skipped. */
  private readonly done = new Map<string, Set<string>>();
  private readonly prunedAt = new Map<number, number>();
  /** Per partition, the commit point last pruned to: an idle partition's is pruned once. */
  private readonly prunedTo = new Map<number, number>();
  private readonly writes: BatchClaimWrites;

  constructor(
    private readonly db: DataSource,
    private readonly logger: Logger,
  ) {
    this.writes = new BatchClaimWrites(db);
  }

  /** Takes over the intents of newly owned partitions (and forgets those no longer owned). */
  async load(partitions: number[]): Promise<void> {
    const rows: ClaimRow[] = await this.db.query(LOAD_SQL, [partitions]);
    this.byEndpoint.clear();
    this.claimed.clear();
    this.done.clear();
    this.prunedTo.clear();
    this.rememberRows(rows);
  }

  /** Reads one partition's intents again (after a claim failed: another batch's are newer than ours). */
  async reload(partition: number): Promise<void> {
    const rows: ClaimRow[] = await this.db.query(LOAD_SQL, [[partition]]);
    for (const [endpointId, list] of this.byEndpoint) {
      const kept = list.filter((i) => i.partition !== partition);
      if (kept.length === list.length) continue;
      if (kept.length === 0) this.byEndpoint.delete(endpointId);
      else this.byEndpoint.set(endpointId, kept);
      this.index(endpointId);
    }
    this.prunedTo.delete(partition);
    this.rememberRows(rows);
  }

  /**
   * Claims the batch's records before it is sent, all or none; throws BatchClaimed when another
   * batch has any of them. A batch formed again from its intent writes nothing new.
   */
  async record(intent: BatchIntent): Promise<void> {
    if (!(await this.writes.claim(intent))) throw new BatchClaimed(intent);
    this.remember(intent);
  }

  /** Marks the batch's first attempt recorded: read again, its records are skipped. */
  async settle(intent: BatchIntent): Promise<void> {
    await this.writes.settle(intent);
    intent.settled = true;
    this.index(intent.endpointId);
  }

  /** Whether the record with this origin belongs to an unsettled intent of the endpoint. */
  claims(endpointId: string, origin: string): boolean {
    return this.claimed.get(endpointId)?.has(origin) ?? false;
  }

  /** The unsettled intent whose first record has this origin (`<partition>@<offset>`) for the endpoint, if any. */
  startingAt(endpointId: string, origin: string): BatchIntent | undefined {
    return this.byEndpoint.get(endpointId)?.find((i) => !i.settled && `${i.partition}@${i.offsets[0]}` === origin);
  }

  /** Whether the record with this origin belongs to a batch of the endpoint whose first attempt is recorded. */
  settles(endpointId: string, origin: string): boolean {
    return this.done.get(endpointId)?.has(origin) ?? false;
  }

  /**
   * The lane went another way than this unsettled intent (its records parked, or not all read
   * again in time): its claims are given up, in memory now and in Postgres before the next
   * batch claims any of its records.
   */
  forget(intent: BatchIntent): void {
    this.writes.release(intent);
    this.drop(intent);
  }

  private drop(intent: BatchIntent): void {
    const list = this.byEndpoint.get(intent.endpointId)?.filter((i) => i !== intent) ?? [];
    if (list.length > 0) this.byEndpoint.set(intent.endpointId, list);
    else this.byEndpoint.delete(intent.endpointId);
    this.index(intent.endpointId);
  }

  /** Past the commit point nothing is read again: forgotten now, deleted now and then. */
  prune(partition: number, commitPoint: number): void {
    if (this.prunedTo.get(partition) === commitPoint) return;
    this.prunedTo.set(partition, commitPoint);
    for (const [endpointId, list] of this.byEndpoint) {
      const kept = list.filter((i) => i.partition !== partition || i.offsets[i.offsets.length - 1]! >= commitPoint);
      if (kept.length === list.length) continue;
      if (kept.length === 0) this.byEndpoint.delete(endpointId);
      else this.byEndpoint.set(endpointId, kept);
      this.index(endpointId);
    }
    const now = Date.now();
    if (now - (this.prunedAt.get(partition) ?? 0) < PRUNE_EVERY_MS) return;
    this.prunedAt.set(partition, now);
    this.db.query('DELETE FROM publisher_batch_claims WHERE lane_partition = $1 AND lane_offset < $2', [partition, commitPoint]).catch((error: unknown) => {
      // Left for the next prune: a stale row only costs a lookup.
      this.logger.warn({ err: error, partition }, 'could not prune batch intents');
    });
  }

  private rememberRows(rows: ClaimRow[]): void {
    for (const r of rows) this.remember({ endpointId: r.endpoint_id, batchId: r.batch_id, partition: r.lane_partition, offsets: r.offsets.map(Number), settled: r.settled });
  }

  private remember(intent: BatchIntent): void {
    const list = this.byEndpoint.get(intent.endpointId) ?? [];
    if (!list.some((i) => i.batchId === intent.batchId)) list.push(intent);
    this.byEndpoint.set(intent.endpointId, list);
    this.index(intent.endpointId);
  }

  /** Rebuilds the endpoint's two origin sets from its intents (a lookup per record stays O(1)). */
  private index(endpointId: string): void {
    const intents = this.byEndpoint.get(endpointId) ?? [];
    for (const [map, settled] of [[this.claimed, false], [this.done, true]] as const) {
      const origins = intents.filter((i) => (i.settled ?? false) === settled).flatMap((i) => i.offsets.map((o) => `${i.partition}@${o}`));
      if (origins.length > 0) map.set(endpointId, new Set(origins));
      else map.delete(endpointId);
    }
  }
}
