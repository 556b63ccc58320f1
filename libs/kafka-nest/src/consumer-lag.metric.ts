import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import { consumerGroupLag } from '@tidings/kafka';
import { ServiceMetrics } from '@tidings/service-runtime';
import type { Logger } from '@tidings/telemetry';
import { Gauge } from 'prom-client';
import { KAFKA_CLIENT, SERVICE_LOGGER } from './tokens';

/** A consumer group a service runs, and the topics whose lag it reports. */
export interface ReportedGroup {
  groupId: string;
  topics: string[];
}

export const REPORTED_GROUPS = Symbol('REPORTED_GROUPS');

/** A scrape never waits longer than this on the brokers. */
const SCRAPE_TIMEOUT_MS = 5_000;

/**
 * `tidings_kafka_consumer_lag{group,topic}`: computed from the brokers at scrape time, so every
 * instance of a service reports the same value (aggregate with max). A failed lookup reports
 * nothing for that scrape rather than a stale number.
 */
@Injectable()
export class ConsumerLagMetric implements OnApplicationShutdown {
  private admin: Promise<Admin> | undefined;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(REPORTED_GROUPS) private readonly groups: ReportedGroup[],
    @Inject(ServiceMetrics) metrics: ServiceMetrics,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    if (groups.length === 0) return;
    const lags = () => this.lags();
    new Gauge({
      name: 'tidings_kafka_consumer_lag',
      help: 'Records written and not yet committed by the consumer group, per topic',
      labelNames: ['group', 'topic'] as const,
      registers: [metrics.registry],
      async collect() {
        this.reset();
        for (const { group, topic, lag } of await lags()) this.set({ group, topic }, lag);
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.then((a) => a.disconnect()).catch(() => undefined);
  }

  private async lags(): Promise<{ group: string; topic: string; lag: number }[]> {
    try {
      const admin = await this.connected();
      const lookups = this.groups.map(async ({ groupId, topics }) => (await consumerGroupLag(admin, groupId, topics)).map((t) => ({ group: groupId, ...t })));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${SCRAPE_TIMEOUT_MS} ms`)), SCRAPE_TIMEOUT_MS)));
      try {
        return (await Promise.race([Promise.all(lookups), timeout])).flat();
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'consumer lag not reported this scrape');
      return [];
    }
  }

  private connected(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.admin = undefined;
      throw error;
    });
    return this.admin;
  }
}
