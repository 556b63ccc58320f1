import { Injectable } from '@nestjs/common';
import type { KafkaConfig } from '@tidings/config';
import { EndpointDirectory } from '@tidings/endpoint-directory';
import type { Kafka } from 'kafkajs';
import { DuplicateFilter } from '../dedup/duplicate-filter';

/**
 * The two compacted views the trigger routes with, started, caught up and stopped together:
 * the endpoint directory (who subscribes to what) and the duplicate filter (what was seen).
 */
@Injectable()
export class TriggerViews {
  constructor(
    readonly endpoints: EndpointDirectory,
    readonly duplicates: DuplicateFilter,
  ) {}

  /** Resolves once both views include everything written so far. */
  async start(kafka: Kafka, { topics, prefix }: KafkaConfig): Promise<void> {
    await Promise.all([
      this.endpoints.start(kafka, topics.endpointConfig, `${prefix}tidings.trigger.endpoint-view`),
      this.duplicates.start(kafka, topics.triggerDedup, `${prefix}tidings.trigger.dedup-view`),
    ]);
  }

  /** Catches both views up with what was written before now. */
  async sync(): Promise<void> {
    await Promise.all([this.endpoints.sync(), this.duplicates.sync()]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.endpoints.stop(), this.duplicates.stop()]);
  }
}
