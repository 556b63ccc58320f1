import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { DataSource } from 'typeorm';
import { createTestDatabase } from '@tidings/test-env';
import { publisherDataSource } from '../database/publisher-data-source';
import { BatchClaimed, BatchIntents, type BatchIntent } from './batch-intents';

/**
 * Two instances that both believe they own lane partition 0 (the old owner has not heard of
 * the rebalance yet), against the real database: whichever claims a record first decides the
 * batch it goes out in.
 */
describe('BatchIntents: claims of two owners of one partition', () => {
  let db: DataSource;
  let drop: () => Promise<void>;
  const logger = pino({ level: 'silent' });
  const intent = (batchId: string, offsets: number[]): BatchIntent => ({ endpointId: 'ep', batchId, partition: 0, offsets });

  before(async () => {
    const database = await createTestDatabase('batch-claims');
    drop = database.drop;
    db = publisherDataSource({ url: database.url });
    await db.initialize();
    await db.runMigrations();
  });
  after(async () => {
    await db?.destroy();
    await drop?.();
  });

  it('refuses a batch over records another batch claimed, leaving none of its claims', async () => {
    const old = new BatchIntents(db, logger);
    const taker = new BatchIntents(db, logger);
    await taker.load([0]);
    await old.record(intent('msg_old', [3, 7, 9]));

    await assert.rejects(taker.record(intent('msg_new', [3, 7, 9, 12])), BatchClaimed);
    const rows: { lane_offset: string; batch_id: string }[] = await db.query('SELECT lane_offset, batch_id FROM publisher_batch_claims ORDER BY lane_offset');
    assert.deepEqual(rows.map((r) => `${r.lane_offset}:${r.batch_id}`), ['3:msg_old', '7:msg_old', '9:msg_old'], 'all or nothing: 12 is not claimed');
    assert.equal(taker.claims('ep', '0@12'), false);

    await taker.reload(0);
    assert.equal(taker.startingAt('ep', '0@3')?.batchId, 'msg_old', 'read again, the first batch is re-formed as it was');
    assert.equal(taker.claims('ep', '0@7'), true, 'and a new batch stops before its records');
    await taker.record(intent('msg_after', [12]));
  });

  it('takes the same batch claimed again as its own, and skips its records once settled', async () => {
    const a = new BatchIntents(db, logger);
    await a.record(intent('msg_same', [20, 21]));
    await a.record(intent('msg_same', [20, 21]));
    await a.settle(intent('msg_same', [20, 21]));
    const b = new BatchIntents(db, logger);
    await b.load([0]);
    assert.equal(b.settles('ep', '0@21'), true);
    assert.equal(b.startingAt('ep', '0@20'), undefined);
  });

  it('gives up the claims of a forgotten intent before claiming its records for another batch', async () => {
    const a = new BatchIntents(db, logger);
    await a.record(intent('msg_stale', [30, 31, 32]));
    a.forget(intent('msg_stale', [30, 31, 32]));
    await a.record(intent('msg_instead', [30, 31]));
    const rows: { batch_id: string }[] = await db.query('SELECT DISTINCT batch_id FROM publisher_batch_claims WHERE lane_offset BETWEEN 30 AND 32');
    assert.deepEqual(rows.map((r) => r.batch_id), ['msg_instead']);
  });

  it('group-commits the claims of many lanes, refusing only the one that overlaps, all or nothing', async () => {
    const old = new BatchIntents(db, logger);
    await old.record({ endpointId: 'ep-b', batchId: 'msg_b_old', partition: 1, offsets: [5] });
    const a = new BatchIntents(db, logger);
    const lanes = Array.from({ length: 20 }, (_, i) => ({ endpointId: `ep-${i}`, batchId: `msg_${i}`, partition: 1, offsets: [4, 5, 6] }));
    lanes.push({ endpointId: 'ep-b', batchId: 'msg_b_new', partition: 1, offsets: [4, 5, 6] });
    let statements = 0;
    const count = () => statements++;
    const driver = (db.driver as unknown as { master: { on: (e: string, f: () => void) => void; off: (e: string, f: () => void) => void } }).master;
    driver.on('acquire', count);
    const outcomes = await Promise.allSettled(lanes.map((l) => a.record(l)));
    driver.off('acquire', count);
    assert.deepEqual(outcomes.map((o) => o.status), [...lanes.slice(0, 20).map(() => 'fulfilled'), 'rejected']);
    assert.ok((outcomes[20] as PromiseRejectedResult).reason instanceof BatchClaimed);
    assert.ok(statements <= 2, `one transaction for the lot, not one per lane (${statements} connections taken)`);
    const rows: { endpoint_id: string; lane_offset: string; batch_id: string }[] = await db.query(
      "SELECT endpoint_id, lane_offset, batch_id FROM publisher_batch_claims WHERE lane_partition = 1 AND endpoint_id IN ('ep-b', 'ep-3') ORDER BY endpoint_id, lane_offset",
    );
    assert.deepEqual(rows.map((r) => `${r.endpoint_id}:${r.lane_offset}:${r.batch_id}`), ['ep-3:4:msg_3', 'ep-3:5:msg_3', 'ep-3:6:msg_3', 'ep-b:5:msg_b_old'], 'the refused claim left nothing behind');

    await Promise.all(lanes.slice(0, 20).map((l) => a.settle(l)));
    const settled: { n: string }[] = await db.query("SELECT count(*) AS n FROM publisher_batch_claims WHERE lane_partition = 1 AND settled AND batch_id LIKE 'msg\\_%' AND batch_id NOT LIKE 'msg\\_b%'");
    assert.equal(Number(settled[0]!.n), 60);
  });

  it('keeps a release whose flush failed, and makes it before the next claim', async () => {
    const a = new BatchIntents(db, logger);
    await a.record(intent('msg_gave_up', [40, 41]));
    await db.query('ALTER TABLE publisher_batch_claims RENAME TO publisher_batch_claims_away');
    try {
      a.forget(intent('msg_gave_up', [40, 41]));
      // The flush with the release and this claim fails as a whole: the claim with the database's error.
      await assert.rejects(a.record(intent('msg_while_down', [40, 41])), (e: Error) => !(e instanceof BatchClaimed) && /publisher_batch_claims/.test(e.message));
    } finally {
      await db.query('ALTER TABLE publisher_batch_claims_away RENAME TO publisher_batch_claims');
    }
    await a.record(intent('msg_after_down', [40, 41]));
    const rows: { batch_id: string }[] = await db.query('SELECT DISTINCT batch_id FROM publisher_batch_claims WHERE lane_offset BETWEEN 40 AND 41');
    assert.deepEqual(rows.map((r) => r.batch_id), ['msg_after_down'], 'the release was kept and made first');
  });
});
