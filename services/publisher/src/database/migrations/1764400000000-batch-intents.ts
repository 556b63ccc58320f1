import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Batches as they were formed, written before their first POST and marked settled once that
 * attempt is recorded: when a lane partition is read again (a hand-over, a crash), records of
 * a settled batch are skipped, and those of a batch cut short re-form that same batch (same
 * webhook-id and body) instead of a new one around other events.
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
        -- Its first attempt is recorded (delivered, or handed to the retry chain or the dead letters).
        settled         boolean NOT NULL DEFAULT false,
        created_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (endpoint_id, batch_id)
      )`);
    await q.query('CREATE INDEX publisher_batch_intents_partition ON publisher_batch_intents (lane_partition, last_offset)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE publisher_batch_intents');
  }
}
