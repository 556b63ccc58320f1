import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The delivery log the API shows, projected from the publisher's records: one row per delivery
 * attempt, and one per dead-lettered batch (kept whole, so it can be replayed).
 */
export class DeliveryRecords1764410400000 implements MigrationInterface {
  name = 'DeliveryRecords1764410400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE delivery_attempts (
        batch_id         text NOT NULL,
        attempt          integer NOT NULL,
        endpoint_id      uuid NOT NULL,
        tailnet          text NOT NULL,
        outcome          text NOT NULL CHECK (outcome IN ('delivered', 'failed')),
        status           integer,
        reason           text,
        latency_ms       double precision NOT NULL,
        attempted_at     timestamptz NOT NULL,
        event_ids        jsonb NOT NULL,
        next_attempt_at  timestamptz,
        -- A redelivered record (at least once) inserts nothing: ON CONFLICT DO NOTHING. The time
        -- is part of the key because a replayed batch counts its attempts from 1 again.
        CONSTRAINT delivery_attempts_batch_attempt PRIMARY KEY (batch_id, attempt, attempted_at)
      )`);
    // Serves an endpoint's deliveries, newest first, and its latest outcome (the "failing" status).
    await q.query(`CREATE INDEX delivery_attempts_endpoint ON delivery_attempts (endpoint_id, attempted_at DESC)`);
    await q.query(`
      CREATE TABLE dead_letters (
        batch_id          text PRIMARY KEY,
        endpoint_id       uuid NOT NULL,
        tailnet           text NOT NULL,
        cause             text NOT NULL CHECK (cause IN ('exhausted', 'gone', 'endpointDisabled')),
        attempts          integer NOT NULL,
        reason            text NOT NULL,
        dead_lettered_at  timestamptz NOT NULL,
        -- json, not jsonb: jsonb reorders object keys, and a replay sends the batch as it was.
        events            json NOT NULL,
        replayed_at       timestamptz
      )`);
    await q.query(`CREATE INDEX dead_letters_endpoint ON dead_letters (endpoint_id, dead_lettered_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE dead_letters');
    await q.query('DROP TABLE delivery_attempts');
  }
}
