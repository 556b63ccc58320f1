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

  /** Catches both views up with what was written before now. */
  async sync(): Promise<void> {
    await Promise.all([this.endpoints.sync(), this.duplicates.sync()]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.endpoints.stop(), this.duplicates.stop()]);
  }
}
