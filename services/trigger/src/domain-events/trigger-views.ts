import { Inject, Injectable } from '@nestjs/common';
import type { KafkaConfig } from '@tidings/config';
import { resolveConsumer, type ResolvedConsumer } from '@tidings/contracts';
import { EndpointDirectory } from '@tidings/endpoint-directory';
import { KAFKA_CONFIG } from '@tidings/kafka-nest';
import type { Kafka } from 'kafkajs';
import { DuplicateFilter } from '../dedup/duplicate-filter';

/**
 * The two compacted views the trigger routes with, started, caught up and stopped together:
 * the endpoint directory (who subscribes to what) and the duplicate filter (what was seen).
 */
@Injectable()
export class TriggerViews {
  /** The two replays, endpoints first. */
  readonly declared: readonly [ResolvedConsumer, ResolvedConsumer];

  constructor(
    readonly endpoints: EndpointDirectory,
    readonly duplicates: DuplicateFilter,
    @Inject(KAFKA_CONFIG) config: KafkaConfig,
  ) {
    this.declared = [resolveConsumer('triggerEndpointView', config), resolveConsumer('triggerDedupView', config)];
  }

  /** Resolves once both views include everything written so far. */
  async start(kafka: Kafka): Promise<void> {
    await Promise.all([this.endpoints.start(kafka, this.declared[0]), this.duplicates.start(kafka, this.declared[1])]);
  }

  /**
   * Before each batch: an endpoint created or deleted before the batch was fetched counts for
   * it. The duplicate filter is not synced here: a partition's dedup marks are written by its
   * owner, which remembers its own on commit; see `syncDuplicates`.
   */
  async syncEndpoints(): Promise<void> {
    await this.endpoints.sync();
  }

  /**
   * When a partition is taken over: the previous owner's marks (the domain-events key is the
   * tailnet, so an event and its duplicates share a partition) are all committed once its
   * producer is fenced, and this makes them visible. Syncing before every batch instead waited
   * for the replayer to read back this instance's own last commit: a fetch round per batch.
   */
  async syncDuplicates(): Promise<void> {
    await this.duplicates.sync();
  }

  async stop(): Promise<void> {
    await Promise.all([this.endpoints.stop(), this.duplicates.stop()]);
  }
}
