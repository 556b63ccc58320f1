import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Batches as they were formed, written before their first POST: when a lane partition is read
 * again (a hand-over, a crash), the records of a batch already sent re-form that same batch,
 * same webhook-id and body, instead of a new one around other events.
 */
export class BatchIntents1764400000000 implements MigrationInterface {
  name = 'BatchIntents1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE publisher_batch_intents (
        endpoint_id     text NOT NULL,
        batch_id        text NOT NULL,
        lane_partition  integer NOT NULL,
        offsets         bigint[] NOT NULL,
        last_offset     bigint NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (endpoint_id, batch_id)
      )`);
    await q.query('CREATE INDEX publisher_batch_intents_partition ON publisher_batch_intents (lane_partition, last_offset)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE publisher_batch_intents');
  }
}
