import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { KafkaConfig } from '@tidings/config';
import { ADVISORY_LOCKS } from '@tidings/database';
import { KAFKA_CONFIG, KafkaProducerService, SERVICE_LOGGER } from '@tidings/kafka-nest';
import { ServiceMetrics } from '@tidings/service-runtime';
import type { Logger } from '@tidings/telemetry';
import { Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { OutboxEntity } from './outbox.entity';
import type { OutboxTopic } from './outbox-writer';

const BATCH = 200;
/**
 * Every write publishes its own rows at once (publishNow), so the loop only picks up what a
 * failed publish or a crashed instance left behind: polling it twice a second was most of an
 * idle stack's PostgreSQL work for nothing.
 */
const IDLE_POLL_MS = 5_000;

/**
 * Publishes outbox rows to Kafka in id order and marks them published. A crash between the
 * Kafka write and the mark republishes those rows: consumers recognise them by event id and
 * per-endpoint version, so the duplicate is harmless.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly producer: KafkaProducerService,
    @Inject(KAFKA_CONFIG) private readonly kafka: KafkaConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    @Inject(ServiceMetrics) metrics: ServiceMetrics,
  ) {
    const db = this.dataSource;
    new Gauge({
      name: 'tidings_subscriptions_outbox_pending',
      help: 'Outbox records committed but not yet published to Kafka',
      registers: [metrics.registry],
      async collect() {
        const [{ count }] = await db.query('SELECT count(*)::int AS count FROM outbox WHERE published_at IS NULL');
        this.set(Number(count));
      },
    });
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /**
   * Called after a commit that wrote to the outbox: publishes now, so that when the API answers
   * the change is already in Kafka. A failure is left to the relay loop, which retries.
   */
  async publishNow(): Promise<void> {
    try {
      // Waits for the relay lock (whoever holds it may have started before our commit), and
      // drains: the caller's rows may sit behind a backlog.
      while ((await this.publishBatch('wait')) === BATCH);
    } catch (error) {
      this.logger.warn({ err: error }, 'immediate outbox publish failed; the relay will retry');
      this.wake?.();
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let published = 0;
      try {
        published = await this.publishBatch('skip');
      } catch (error) {
        this.logger.error({ err: error }, 'outbox relay failed; retrying');
      }
      if (published < BATCH && this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, IDLE_POLL_MS);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  /**
   * One transaction: take the relay lock (or give up if another relay holds it, with 'skip'),
   * publish the oldest unpublished rows, mark them.
   */
  async publishBatch(lock: 'wait' | 'skip'): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      if (lock === 'wait') {
        await manager.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCKS.outboxRelay]);
      } else {
        const [{ locked }] = await manager.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [ADVISORY_LOCKS.outboxRelay]);
        if (!locked) return 0;
      }
      const rows = await manager
        .createQueryBuilder(OutboxEntity, 'o')
        .where('o.published_at IS NULL')
        .orderBy('o.id', 'ASC')
        .limit(BATCH)
        .getMany();
      if (rows.length === 0) return 0;
      // Consecutive rows of one topic go in one send, keeping the overall order.
      for (const group of consecutiveByTopic(rows)) {
        await this.producer.send(
          this.kafka.topics[group.topic],
          group.rows.map((r) => ({ key: r.recordKey, value: r.recordValue, headers: r.recordHeaders })),
        );
      }
      await manager
        .createQueryBuilder()
        .update(OutboxEntity)
        .set({ publishedAt: () => 'now()' })
        .whereInIds(rows.map((r) => r.id))
        .execute();
      return rows.length;
    });
  }
}

function consecutiveByTopic(rows: OutboxEntity[]): { topic: OutboxTopic; rows: OutboxEntity[] }[] {
  const groups: { topic: OutboxTopic; rows: OutboxEntity[] }[] = [];
  for (const row of rows) {
    const last = groups.at(-1);
    if (last && last.topic === row.topicKey) last.rows.push(row);
    else groups.push({ topic: row.topicKey as OutboxTopic, rows: [row] });
  }
  return groups;
}
