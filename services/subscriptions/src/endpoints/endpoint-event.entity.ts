import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { EndpointConfigEvent } from '@tidings/contracts';

/** One row of the append-only event store; `event` is the contract's config event itself. */
@Entity({ name: 'endpoint_events' })
export class EndpointEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  position!: string;

  @Column('uuid', { name: 'event_id' })
  eventId!: string;

  @Column('uuid', { name: 'endpoint_id' })
  endpointId!: string;

  @Column('integer')
  version!: number;

  @Column('text')
  type!: string;

  @Column('text')
  tailnet!: string;

  @Column('text')
  actor!: string;

  @Column('timestamptz', { name: 'occurred_at' })
  occurredAt!: Date;

  @Column('jsonb')
  event!: EndpointConfigEvent;
}
