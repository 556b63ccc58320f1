import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { SealedSecret } from '@tidings/contracts';

export type EndpointStatus = 'enabled' | 'failing' | 'disabled';

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

  @Column('text', { name: 'creator_login_name' })
  creatorLoginName!: string;

  @Column('jsonb')
  subscriptions!: string[];

  @Column('text')
  status!: EndpointStatus;

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
}
