import { Column, Entity, PrimaryColumn, VirtualColumn } from 'typeorm';
import type { EndpointStatus, RateLimit, SealedSecret } from '@tidings/contracts';

/** The read model the API serves, rebuilt from endpoint_events by the projector. */
@Entity({ name: 'endpoints' })
export class EndpointEntity {
  @PrimaryColumn('uuid', { name: 'endpoint_id' })
  endpointId!: string;

  @Column('text')
  tailnet!: string;

  @Column('text', { name: 'endpoint_url' })
  endpointUrl!: string;

  @Column('text', { name: 'provider_type' })
  providerType!: string;

  /** Its own rate limit; null: its provider's default (none for native). */
  @Column('jsonb', { name: 'rate_limit', nullable: true })
  rateLimit!: RateLimit | null;

  @Column('text', { name: 'creator_login_name' })
  creatorLoginName!: string;

  @Column('jsonb')
  subscriptions!: string[];

  @Column('text')
  status!: 'enabled' | 'disabled';

  @Column('text', { name: 'disabled_reason', nullable: true })
  disabledReason!: string | null;

  @Column('jsonb')
  secret!: SealedSecret;

  @Column('jsonb', { name: 'previous_secret', nullable: true })
  previousSecret!: { secret: SealedSecret; validUntil: string } | null;

  @Column('integer')
  version!: number;

  @Column('timestamptz')
  created!: Date;

  @Column('timestamptz', { name: 'last_modified' })
  lastModified!: Date;

  /**
   * The outcome of its most recent delivery attempt (null: none yet). Read with every select of
   * the entity, in the same query (a subquery on the delivery_attempts_endpoint index).
   */
  @VirtualColumn({
    type: 'text',
    query: (alias) => `SELECT a.outcome FROM delivery_attempts a WHERE a.endpoint_id = ${alias}.endpoint_id AND a.tailnet = ${alias}.tailnet ORDER BY a.attempted_at DESC, a.attempt DESC LIMIT 1`,
  })
  lastAttemptOutcome!: 'delivered' | 'failed' | null;
}

/** `failing`: enabled, and its most recent delivery attempt failed. */
export function endpointStatus(e: EndpointEntity): EndpointStatus {
  if (e.status === 'disabled') return 'disabled';
  return e.lastAttemptOutcome === 'failed' ? 'failing' : 'enabled';
}
