import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The inbound relay's buckets and inputs: their config event log (the source of truth, like
 * endpoint_events) and the projection the API reads. Passwords and tokens are argon2id
 * hashes, signing secrets sealed, inside `auth`.
 */
export class RelayBuckets1764900000000 implements MigrationInterface {
  name = 'RelayBuckets1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE relay_events (
        event_id     uuid PRIMARY KEY,
        bucket_id    uuid NOT NULL,
        version      integer NOT NULL,
        type         text NOT NULL,
        tailnet      text NOT NULL,
        actor        text NOT NULL,
        occurred_at  timestamptz NOT NULL,
        event        jsonb NOT NULL,
        -- Two writers of one version collide here: the second gets 409.
        CONSTRAINT relay_events_bucket_version UNIQUE (bucket_id, version)
      )`);
    await q.query(`
      CREATE TABLE relay_buckets (
        bucket_id           uuid PRIMARY KEY,
        tailnet             text NOT NULL,
        name                text NOT NULL,
        auth                jsonb NOT NULL,
        answer              jsonb NOT NULL,
        ephemeral           boolean NOT NULL,
        version             integer NOT NULL,
        creator_login_name  text NOT NULL,
        created             timestamptz NOT NULL,
        last_modified       timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX relay_buckets_tailnet ON relay_buckets (tailnet, created)');
    await q.query(`
      CREATE TABLE relay_inputs (
        input_id          uuid PRIMARY KEY,
        bucket_id         uuid NOT NULL REFERENCES relay_buckets (bucket_id) ON DELETE CASCADE,
        methods           jsonb NOT NULL,
        body_limit_bytes  integer NOT NULL,
        rate_limit        jsonb,
        outputs           jsonb NOT NULL,
        created           timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX relay_inputs_bucket ON relay_inputs (bucket_id, created)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE relay_inputs');
    await q.query('DROP TABLE relay_buckets');
    await q.query('DROP TABLE relay_events');
  }
}
