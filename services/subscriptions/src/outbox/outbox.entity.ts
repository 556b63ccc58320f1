import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A Kafka record waiting to be published, written in the same transaction as the change it
 * announces. `topicKey` names a topic of the contracts (resolved with the prefix at publish).
 */
@Entity({ name: 'outbox' })
export class OutboxEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column('text', { name: 'topic_key' })
  topicKey!: string;

  @Column('text', { name: 'record_key' })
  recordKey!: string;

  @Column('text', { name: 'record_value' })
  recordValue!: string;

  @Column('jsonb', { name: 'record_headers' })
  recordHeaders!: Record<string, string>;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'published_at', nullable: true })
  publishedAt!: Date | null;
}
