import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event store (endpoint_events), its transactional outbox, the endpoint projection the
 * API reads, and API keys (hashes only).
 */
export class InitialSchema1763805600000 implements MigrationInterface {
  name = 'InitialSchema1763805600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE endpoint_events (
        position     bigserial PRIMARY KEY,
        event_id     uuid NOT NULL UNIQUE,
        endpoint_id  uuid NOT NULL,
        version      integer NOT NULL,
        type         text NOT NULL,
        tailnet      text NOT NULL,
        actor        text NOT NULL,
        occurred_at  timestamptz NOT NULL,
        event        jsonb NOT NULL,
        -- Optimistic concurrency: two writers of the same version cannot both commit.
        CONSTRAINT endpoint_events_endpoint_version UNIQUE (endpoint_id, version)
      )`);
    await q.query(`
      CREATE TABLE outbox (
        id            bigserial PRIMARY KEY,
        topic_key     text NOT NULL,
        record_key    text NOT NULL,
        record_value  text NOT NULL,
        -- W3C trace context of the writing request, so the trace continues past the relay.
        record_headers jsonb NOT NULL DEFAULT '{}',
        created_at    timestamptz NOT NULL DEFAULT now(),
        published_at  timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL`);
    await q.query(`
      CREATE TABLE endpoints (
        endpoint_id         uuid PRIMARY KEY,
        tailnet             text NOT NULL,
        endpoint_url        text NOT NULL,
        provider_type       text NOT NULL,
        creator_login_name  text NOT NULL,
        subscriptions       jsonb NOT NULL,
        status              text NOT NULL,
        disabled_reason     text,
        secret              jsonb NOT NULL,
        previous_secret     jsonb,
        version             integer NOT NULL,
        created             timestamptz NOT NULL,
        last_modified       timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX endpoints_tailnet ON endpoints (tailnet, created)`);
    await q.query(`
      CREATE TABLE api_keys (
        id          text PRIMARY KEY,
        tailnet     text NOT NULL,
        login_name  text NOT NULL,
        key_hash    bytea NOT NULL UNIQUE,
        created_at  timestamptz NOT NULL DEFAULT now(),
        revoked_at  timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE api_keys');
    await q.query('DROP TABLE endpoints');
    await q.query('DROP TABLE outbox');
    await q.query('DROP TABLE endpoint_events');
  }
}
