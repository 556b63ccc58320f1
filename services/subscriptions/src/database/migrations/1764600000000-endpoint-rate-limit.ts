import type { MigrationInterface, QueryRunner } from 'typeorm';

/** An endpoint's own rate limit (`{"requests", "perSeconds"}`); null: its provider's default. */
export class EndpointRateLimit1764600000000 implements MigrationInterface {
  name = 'EndpointRateLimit1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE endpoints ADD COLUMN rate_limit jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE endpoints DROP COLUMN rate_limit`);
  }
}
