import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What a batch's first attempt sent (events and headers), once per batch, for the deliveries API. */
export class DeliveryRequests1764800000000 implements MigrationInterface {
  name = 'DeliveryRequests1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE delivery_requests (
        batch_id     text PRIMARY KEY,
        endpoint_id  uuid NOT NULL,
        tailnet      text NOT NULL,
        headers      jsonb NOT NULL,
        -- json, not jsonb: the events show in the order and form they were sent.
        events       json NOT NULL,
        sent_at      timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE delivery_requests');
  }
}
