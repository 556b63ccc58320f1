import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The relay's request log: each accepted request's method, size and time, and for a normal
 * bucket what it said, sealed as the relay sealed it (never in clear). Kept for
 * RELAY_REQUEST_LOG_RETENTION_HOURS.
 */
export class RelayRequestLog1765000000000 implements MigrationInterface {
  name = 'RelayRequestLog1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE relay_requests (
        request_id   uuid PRIMARY KEY,
        input_id     uuid NOT NULL,
        bucket_id    uuid NOT NULL,
        tailnet      text NOT NULL,
        received_at  timestamptz NOT NULL,
        method       text NOT NULL,
        size         integer NOT NULL,
        ephemeral    boolean NOT NULL,
        -- The sealed request; null for an ephemeral bucket, which keeps nothing of what it said.
        sealed       jsonb
      )`);
    await q.query('CREATE INDEX relay_requests_input ON relay_requests (input_id, received_at DESC)');
    await q.query('CREATE INDEX relay_requests_received ON relay_requests (received_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE relay_requests');
  }
}
