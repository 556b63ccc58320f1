import type { MigrationInterface, QueryRunner } from 'typeorm';

/** An input that waits for its one destination's answer, up to this many ms (null: it does not). */
export class RelayWait1765100000000 implements MigrationInterface {
  name = 'RelayWait1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE relay_inputs ADD COLUMN wait_for_destination_ms integer');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE relay_inputs DROP COLUMN wait_for_destination_ms');
  }
}
