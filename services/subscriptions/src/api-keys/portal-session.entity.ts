import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A portal session: a short-lived token a platform mints with its API key for one of its
 * customers (the console in an iframe or behind a link). Stored as a SHA-256 hash, like keys.
 */
@Entity({ name: 'portal_sessions' })
export class PortalSessionEntity {
  @PrimaryColumn('text')
  id!: string;

  @Column('text')
  tailnet!: string;

  /** Who the session acts as in the audit trail (the config events' actor). */
  @Column('text', { name: 'login_name' })
  loginName!: string;

  /** The API key that minted it. */
  @Column('text', { name: 'created_by_key_id' })
  createdByKeyId!: string;

  @Column('bytea', { name: 'token_hash' })
  tokenHash!: Buffer;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt!: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;
}
