import type { DeadLetterCause, WebhookEvent } from '@tidings/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A batch Tidings stopped trying, kept whole (same id, same events) so it can be replayed. */
@Entity({ name: 'dead_letters' })
export class DeadLetterEntity {
  @PrimaryColumn('text', { name: 'batch_id' })
  batchId!: string;

  @Column('uuid', { name: 'endpoint_id' })
  endpointId!: string;

  @Column('text')
  tailnet!: string;

  @Column('text')
  cause!: DeadLetterCause;

  /** Attempts made before it was dead-lettered (0 for events that never went out). */
  @Column('integer')
  attempts!: number;

  @Column('text')
  reason!: string;

  @Column('timestamptz', { name: 'dead_lettered_at' })
  deadLetteredAt!: Date;

  @Column('json')
  events!: WebhookEvent[];

  /** The last time it was replayed through the API; null while it waits to be. */
  @Column('timestamptz', { name: 'replayed_at', nullable: true })
  replayedAt!: Date | null;
}
