import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Batch intents become one claim per lane record, keyed by the record. Two instances that both
 * believe they own a lane partition (one has not yet heard of a rebalance, or its consumer is
 * restarting after a crash) could each write an intent for the same records under different
 * batch ids, and both send; the key makes the second claim fail instead, and its instance
 * re-forms the first batch as it was. Intents in flight during the upgrade are carried over.
 */
export class BatchClaims1764500000000 implements MigrationInterface {
  name = 'BatchClaims1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE publisher_batch_claims (
        endpoint_id     text NOT NULL,
        lane_partition  integer NOT NULL,
        lane_offset     bigint NOT NULL,
        batch_id        text NOT NULL,
        -- Its batch's first attempt is recorded (delivered, or handed to the retry chain or the dead letters).
        settled         boolean NOT NULL DEFAULT false,
        created_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (endpoint_id, lane_partition, lane_offset)
      )`);
    await q.query('CREATE INDEX publisher_batch_claims_partition ON publisher_batch_claims (lane_partition, lane_offset)');
    await q.query(`
      INSERT INTO publisher_batch_claims (endpoint_id, lane_partition, lane_offset, batch_id, settled, created_at)
      SELECT i.endpoint_id, i.lane_partition, o, i.batch_id, i.settled, i.created_at FROM publisher_batch_intents i, unnest(i.offsets) AS o
      ON CONFLICT DO NOTHING`);
    await q.query('DROP TABLE publisher_batch_intents');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE publisher_batch_intents (
        endpoint_id text NOT NULL, batch_id text NOT NULL, lane_partition integer NOT NULL, offsets bigint[] NOT NULL,
        last_offset bigint NOT NULL, settled boolean NOT NULL DEFAULT false, created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (endpoint_id, batch_id)
      )`);
    await q.query('CREATE INDEX publisher_batch_intents_partition ON publisher_batch_intents (lane_partition, last_offset)');
    await q.query(`
      INSERT INTO publisher_batch_intents (endpoint_id, batch_id, lane_partition, offsets, last_offset, settled, created_at)
      SELECT endpoint_id, batch_id, lane_partition, array_agg(lane_offset ORDER BY lane_offset), max(lane_offset), bool_and(settled), min(created_at)
      FROM publisher_batch_claims GROUP BY endpoint_id, batch_id, lane_partition`);
    await q.query('DROP TABLE publisher_batch_claims');
  }
}
