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
});
