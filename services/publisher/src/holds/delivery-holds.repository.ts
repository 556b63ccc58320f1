import type { DeliveryBatch, WebhookEvent } from '@tidings/contracts';
import type { DataSource } from 'typeorm';

/**
 * - retrying: a batch of the endpoint is in the retry chain; newer events wait.
 * - resolved: the chain delivered it; the lane has yet to read the retryResolved record.
 * - draining: the waiting events are being delivered, in order, before anything newer.
 * - deadLettered: the chain gave up; everything for the endpoint is dead-lettered until it is
 *   enabled again (a config version above `configVersion`).
 */
export type HoldState = 'retrying' | 'resolved' | 'draining' | 'deadLettered';

export interface DeliveryHold {
  endpointId: string;
  batchId: string;
  attempt: number;
  state: HoldState;
  configVersion: number;
  reason: string | null;
  /** The lane's partition: after a restart, its new owner resumes a drain it finds here. */
  lanePartition: number;
}

/**
 * What waits behind a hold: an event, or a replayed batch that keeps its id and body; with the
 * span that consumed it, so its eventual delivery links back to the trace it came from.
 */
export type WaitingItem = ({ kind: 'event'; event: WebhookEvent } | { kind: 'batch'; batch: DeliveryBatch }) & { traceparent?: string };

export interface ParkedItem {
  seq: number;
  /** Where it came from (`<partition>@<offset>` of the lane record): parking twice is a no-op. */
  sourceKey: string;
  item: WaitingItem;
}

interface HoldRow {
  endpoint_id: string;
  batch_id: string;
  attempt: number;
  state: HoldState;
  config_version: number;
  reason: string | null;
  lane_partition: number;
}

const toHold = (r: HoldRow): DeliveryHold => ({ endpointId: r.endpoint_id, batchId: r.batch_id, attempt: r.attempt, state: r.state, configVersion: r.config_version, reason: r.reason, lanePartition: r.lane_partition });

/**
 * The publisher's durable delivery state in Postgres. The lane that owns an endpoint creates,
 * drains and removes its hold; the retry chain only moves `attempt` and marks `resolved`,
 * each with a compare-and-set, so a duplicated retry record can act at most once.
 */
export class DeliveryHoldsRepository {
  constructor(private readonly db: DataSource) {}

  async all(): Promise<DeliveryHold[]> {
    const rows: HoldRow[] = await this.db.query('SELECT endpoint_id, batch_id, attempt, state, config_version, reason, lane_partition FROM publisher_delivery_holds');
    return rows.map(toHold);
  }

  async countByState(): Promise<Map<string, number>> {
    const rows: { state: HoldState; n: string }[] = await this.db.query('SELECT state, count(*) AS n FROM publisher_delivery_holds GROUP BY state');
    return new Map(rows.map((r) => [r.state, Number(r.n)]));
  }

  /**
   * Holds `retrying` since before `before` (their last change), oldest first: those whose retry
   * record the chain may have read past (the lost-retry check).
   */
  async retryingSince(before: Date, limit: number): Promise<{ hold: DeliveryHold; since: Date }[]> {
    const rows: (HoldRow & { updated_at: Date })[] = await this.db.query(
      `SELECT endpoint_id, batch_id, attempt, state, config_version, reason, lane_partition, updated_at FROM publisher_delivery_holds
       WHERE state = 'retrying' AND updated_at < $1 ORDER BY updated_at LIMIT $2`,
      [before, limit],
    );
    return rows.map((r) => ({ hold: toHold(r), since: r.updated_at }));
  }

  async get(endpointId: string): Promise<DeliveryHold | undefined> {
    const rows: HoldRow[] = await this.db.query('SELECT endpoint_id, batch_id, attempt, state, config_version, reason, lane_partition FROM publisher_delivery_holds WHERE endpoint_id = $1', [endpointId]);
    return rows[0] && toHold(rows[0]);
  }

  /** The lane's own write: it is the only one that creates or replaces an endpoint's hold. */
  async put(hold: DeliveryHold): Promise<void> {
    await this.db.query(
      `INSERT INTO publisher_delivery_holds (endpoint_id, batch_id, attempt, state, config_version, reason, lane_partition)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (endpoint_id) DO UPDATE SET batch_id = $2, attempt = $3, state = $4, config_version = $5, reason = $6, lane_partition = $7, updated_at = now()`,
      [hold.endpointId, hold.batchId, hold.attempt, hold.state, hold.configVersion, hold.reason, hold.lanePartition],
    );
  }

  /** Retry chain: attempt `from` failed and attempt `from + 1` is scheduled. False if stale. */
  async advanceAttempt(endpointId: string, batchId: string, from: number): Promise<boolean> {
    const [, count] = (await this.db.query(
      `UPDATE publisher_delivery_holds SET attempt = $3 + 1, updated_at = now()
       WHERE endpoint_id = $1 AND batch_id = $2 AND attempt = $3 AND state = 'retrying'`,
      [endpointId, batchId, from],
    )) as [unknown, number];
    return count === 1;
  }

  /** Retry chain: the batch is done with (its lane record is written). */
  async markResolved(endpointId: string, batchId: string, attempt: number): Promise<void> {
    await this.db.query(
      `UPDATE publisher_delivery_holds SET state = 'resolved', updated_at = now()
       WHERE endpoint_id = $1 AND batch_id = $2 AND attempt = $3 AND state = 'retrying'`,
      [endpointId, batchId, attempt],
    );
  }

  async delete(endpointId: string): Promise<void> {
    await this.db.query('DELETE FROM publisher_delivery_holds WHERE endpoint_id = $1', [endpointId]);
  }

  /** Ends a drain: true when nothing waits any more and the hold is gone. */
  async releaseIfDrained(endpointId: string): Promise<boolean> {
    const [, count] = (await this.db.query(
      `DELETE FROM publisher_delivery_holds h WHERE h.endpoint_id = $1 AND h.state = 'draining'
       AND NOT EXISTS (SELECT 1 FROM publisher_waiting_items w WHERE w.endpoint_id = $1)`,
      [endpointId],
    )) as [unknown, number];
    return count === 1;
  }

  async park(endpointId: string, items: Omit<ParkedItem, 'seq'>[]): Promise<void> {
    if (items.length === 0) return;
    const values = items.map((_, i) => `($1, $${2 * i + 2}, $${2 * i + 3}::jsonb)`).join(', ');
    await this.db.query(
      `INSERT INTO publisher_waiting_items (endpoint_id, source_key, item) VALUES ${values} ON CONFLICT (endpoint_id, source_key) DO NOTHING`,
      [endpointId, ...items.flatMap((i) => [i.sourceKey, JSON.stringify(i.item)])],
    );
  }

  async waiting(endpointId: string, limit: number): Promise<ParkedItem[]> {
    const rows: { seq: string; source_key: string; item: WaitingItem }[] = await this.db.query(
      'SELECT seq, source_key, item FROM publisher_waiting_items WHERE endpoint_id = $1 ORDER BY seq LIMIT $2',
      [endpointId, limit],
    );
    return rows.map((r) => ({ seq: Number(r.seq), sourceKey: r.source_key, item: r.item }));
  }

  async deleteWaiting(endpointId: string, throughSeq: number): Promise<void> {
    await this.db.query('DELETE FROM publisher_waiting_items WHERE endpoint_id = $1 AND seq <= $2', [endpointId, throughSeq]);
  }

  /** A drained batch failed: it becomes the held batch, and leaves the waiting items. */
  async holdDrainedBatch(hold: DeliveryHold, throughSeq: number): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.query(
        `UPDATE publisher_delivery_holds SET batch_id = $2, attempt = $3, state = $4, config_version = $5, reason = $6, updated_at = now() WHERE endpoint_id = $1`,
        [hold.endpointId, hold.batchId, hold.attempt, hold.state, hold.configVersion, hold.reason],
      );
      await m.query('DELETE FROM publisher_waiting_items WHERE endpoint_id = $1 AND seq <= $2', [hold.endpointId, throughSeq]);
    });
  }
}
