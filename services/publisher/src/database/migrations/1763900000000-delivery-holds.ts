import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The publisher's durable delivery state: which endpoints are held behind a batch in the
 * retry chain, and the events waiting behind it, in order.
 */
export class DeliveryHolds1763900000000 implements MigrationInterface {
  name = 'DeliveryHolds1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE publisher_delivery_holds (
        endpoint_id     text PRIMARY KEY,
        batch_id        text NOT NULL,
        attempt         integer NOT NULL,
        state           text NOT NULL CHECK (state IN ('retrying', 'resolved', 'draining', 'deadLettered')),
        config_version  integer NOT NULL DEFAULT 0,
        lane_partition  integer NOT NULL,
        reason          text,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE publisher_waiting_items (
        seq          bigserial PRIMARY KEY,
        endpoint_id  text NOT NULL,
        source_key   text NOT NULL,
        item         jsonb NOT NULL,
        parked_at    timestamptz NOT NULL DEFAULT now(),
        UNIQUE (endpoint_id, source_key)
      )`);
    await q.query('CREATE INDEX publisher_waiting_items_endpoint_seq ON publisher_waiting_items (endpoint_id, seq)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE publisher_waiting_items');
    await q.query('DROP TABLE publisher_delivery_holds');
  }
}
