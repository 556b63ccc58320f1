import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Portal sessions: short-lived, single-tailnet tokens for an embedded console (hashes only). */
export class PortalSessions1764700000000 implements MigrationInterface {
  name = 'PortalSessions1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE portal_sessions (
        id                 text PRIMARY KEY,
        tailnet            text NOT NULL,
        login_name         text NOT NULL,
        created_by_key_id  text NOT NULL,
        token_hash         bytea NOT NULL UNIQUE,
        created_at         timestamptz NOT NULL,
        expires_at         timestamptz NOT NULL,
        revoked_at         timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE portal_sessions');
  }
}
