import type { DataSource, EntityManager } from 'typeorm';

/** The records one batch claims: `offsets` of one lane partition, for one endpoint. */
export interface ClaimKey {
  endpointId: string;
  batchId: string;
  partition: number;
  offsets: number[];
}

interface Waiting<T> {
  key: ClaimKey;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

interface Flush {
  releases: ClaimKey[];
  claims: Waiting<boolean>[];
  settles: Waiting<void>[];
}

/** A claim of the same batch (formed again the same way) is its own; `inserted` tells new rows from those. */
const CLAIM_SQL = `
  INSERT INTO publisher_batch_claims (endpoint_id, lane_partition, lane_offset, batch_id)
  SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::text[])
  ON CONFLICT (endpoint_id, lane_partition, lane_offset) DO UPDATE SET batch_id = EXCLUDED.batch_id
  WHERE publisher_batch_claims.batch_id = EXCLUDED.batch_id
  RETURNING batch_id, lane_offset, (xmax = 0) AS inserted`;

const UNCLAIM_SQL = `
  DELETE FROM publisher_batch_claims c USING unnest($1::text[], $2::integer[], $3::bigint[]) AS r(e, p, o)
  WHERE c.endpoint_id = r.e AND c.lane_partition = r.p AND c.lane_offset = r.o`;

const SETTLE_SQL = `
  UPDATE publisher_batch_claims c SET settled = true FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::text[]) AS s(e, p, o, b)
  WHERE c.endpoint_id = s.e AND c.lane_partition = s.p AND c.lane_offset = s.o AND c.batch_id = s.b`;

const RELEASE_SQL = `
  DELETE FROM publisher_batch_claims c USING unnest($1::text[], $2::integer[], $3::text[]) AS r(e, p, b)
  WHERE c.endpoint_id = r.e AND c.lane_partition = r.p AND c.batch_id = r.b AND NOT c.settled`;

/** Column arrays for unnest: one entry per record of each key. */
function columns(keys: ClaimKey[]): [string[], number[], number[], string[]] {
  const cols: [string[], number[], number[], string[]] = [[], [], [], []];
  for (const k of keys) {
    for (const o of k.offsets) {
      cols[0].push(k.endpointId);
      cols[1].push(k.partition);
      cols[2].push(o);
      cols[3].push(k.batchId);
    }
  }
  return cols;
}

/**
 * The claim table's writes, group-committed: whatever the lanes ask for while one transaction
 * is in flight goes into the next, one statement per kind. At 200 batches a second a write per
 * batch was two commits each; now it is a commit every few milliseconds, whatever the rate.
 * Each claim stays all-or-nothing: the rows a refused claim inserted are deleted in the same
 * transaction. Releases go first, so a claim in the same flush may take their records.
 */
export class BatchClaimWrites {
  private pending: Flush = { releases: [], claims: [], settles: [] };
  private flushing = false;

  constructor(private readonly db: DataSource) {}

  /** Claims the batch's records: true, or false when another batch has any of them (nothing claimed then). */
  claim(key: ClaimKey): Promise<boolean> {
    return new Promise((resolve, reject) => this.enqueue(() => this.pending.claims.push({ key, resolve, reject })));
  }

  /** Marks the batch's claims settled: its first attempt is recorded. */
  settle(key: ClaimKey): Promise<void> {
    return new Promise((resolve, reject) => this.enqueue(() => this.pending.settles.push({ key, resolve, reject })));
  }

  /** Gives up the unsettled claims of the batch: deleted before any claim that follows, tried again until done. */
  release(key: ClaimKey): void {
    this.enqueue(() => this.pending.releases.push(key));
  }

  private enqueue(add: () => void): void {
    add();
    // Callers in the same turn of the event loop join the same flush.
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => void this.flush());
    }
  }

  private async flush(): Promise<void> {
    const work = this.take();
    try {
      const refused = await this.db.transaction((m) => this.write(m, work));
      for (const c of work.claims) c.resolve(!refused.has(c));
      for (const s of work.settles) s.resolve();
    } catch (error) {
      // Releases are kept for the next flush; a claim or settle fails with its caller's attempt.
      this.pending.releases.unshift(...work.releases);
      for (const w of [...work.claims, ...work.settles]) w.reject(error);
    }
    const more = this.pending.claims.length + this.pending.settles.length > 0;
    if (more) setImmediate(() => void this.flush());
    else this.flushing = false;
  }

  /** What goes now: everything pending, but never two claims of one lane (a row may be claimed once per statement). */
  private take(): Flush {
    const work = { releases: this.pending.releases, claims: [] as Waiting<boolean>[], settles: this.pending.settles };
    const lanes = new Set<string>();
    const later: Waiting<boolean>[] = [];
    for (const c of this.pending.claims) {
      const lane = `${c.key.endpointId}/${c.key.partition}`;
      (lanes.has(lane) ? later : work.claims).push(c);
      lanes.add(lane);
    }
    this.pending = { releases: [], claims: later, settles: [] };
    return work;
  }

  /** The flush's statements; returns the claims refused. */
  private async write(m: EntityManager, work: Flush): Promise<Set<Waiting<boolean>>> {
    if (work.releases.length > 0) {
      // One row per batch, not per record: a release deletes the batch's unsettled claims.
      await m.query(RELEASE_SQL, [work.releases.map((k) => k.endpointId), work.releases.map((k) => k.partition), work.releases.map((k) => k.batchId)]);
    }
    const refused = new Set<Waiting<boolean>>();
    if (work.claims.length > 0) {
      const rows: { batch_id: string; lane_offset: string; inserted: boolean }[] = await m.query(CLAIM_SQL, columns(work.claims.map((c) => c.key)));
      const got = new Map<string, typeof rows>();
      for (const r of rows) got.set(r.batch_id, [...(got.get(r.batch_id) ?? []), r]);
      for (const c of work.claims) if ((got.get(c.key.batchId)?.length ?? 0) < c.key.offsets.length) refused.add(c);
      // All or nothing: what a refused claim inserted is deleted again (rows it already had stay).
      const undo = [...refused].map((c) => ({ ...c.key, offsets: (got.get(c.key.batchId) ?? []).filter((r) => r.inserted).map((r) => Number(r.lane_offset)) }));
      if (undo.some((k) => k.offsets.length > 0)) await m.query(UNCLAIM_SQL, columns(undo).slice(0, 3));
    }
    if (work.settles.length > 0) await m.query(SETTLE_SQL, columns(work.settles.map((s) => s.key)));
    return refused;
  }
}
