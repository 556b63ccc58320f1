import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One delivery attempt, as the publisher reported it on the delivery-attempts topic. */
@Entity({ name: 'delivery_attempts' })
export class DeliveryAttemptEntity {
  @PrimaryColumn('text', { name: 'batch_id' })
  batchId!: string;

  @PrimaryColumn('integer')
  attempt!: number;

  @Column('uuid', { name: 'endpoint_id' })
  endpointId!: string;

  @Column('text')
  tailnet!: string;

  @Column('text')
  outcome!: 'delivered' | 'failed';

  /** The endpoint's HTTP status; null when there was none (timeout, refused by the egress). */
  @Column('integer', { nullable: true })
  status!: number | null;

  @Column('text', { nullable: true })
  reason!: string | null;

  @Column('double precision', { name: 'latency_ms' })
  latencyMs!: number;

  @PrimaryColumn('timestamptz', { name: 'attempted_at' })
  attemptedAt!: Date;

  @Column('jsonb', { name: 'event_ids' })
  eventIds!: string[];

  @Column('timestamptz', { name: 'next_attempt_at', nullable: true })
  nextAttemptAt!: Date | null;
}
