import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An API key, stored as a SHA-256 hash of the full key: a database copy yields no key. */
@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryColumn('text')
  id!: string;

  @Column('text')
  tailnet!: string;

  @Column('text', { name: 'login_name' })
  loginName!: string;

  @Column('bytea', { name: 'key_hash' })
  keyHash!: Buffer;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;
}
