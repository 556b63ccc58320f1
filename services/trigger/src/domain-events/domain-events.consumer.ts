import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { CONSUMER_GROUPS, domainEventKey, KAFKA_HEADERS, type WebhookEventRecord } from '@tidings/contracts';
import type { KafkaConfig } from '@tidings/config';
import { EndpointDirectory } from '@tidings/endpoint-directory';
import { extractTraceContext, injectTraceContext, TransactionalPipe, type BatchResult, type ConsumedRecord, type OutputRecord } from '@tidings/kafka';
import { KAFKA_CLIENT, KAFKA_CONFIG, SERVICE_LOGGER } from '@tidings/kafka-nest';
import type { Logger } from '@tidings/telemetry';
import type { Kafka } from 'kafkajs';
import { DuplicateFilter } from '../dedup/duplicate-filter';
import { TriggerMetrics, type EventOutcome } from '../trigger-metrics';
import { buildWebhookEvent } from '../routing/payload-builder';
import { decodeCloudEvent, type RejectionCode } from './cloud-event-decoder';

export const TRIGGER_OPTIONS = Symbol('TRIGGER_OPTIONS');
export interface TriggerOptions {
  adminConsoleUrl: string;
  instanceId: string;
}

const tracer = trace.getTracer('tidings-trigger');

/**
 * Turns domain events into webhook payloads, exactly once: every batch's payloads, dead
 * letters and dedup marks are committed with its consumer offsets in one Kafka transaction.
 * Unusable records go to the DLQ with the reason in headers and never hold up their partition.
 */
@Injectable()
export class DomainEventsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private pipe: TransactionalPipe | undefined;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(KAFKA_CONFIG) private readonly config: KafkaConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    @Inject(TRIGGER_OPTIONS) private readonly options: TriggerOptions,
    private readonly directory: EndpointDirectory,
    private readonly duplicates: DuplicateFilter,
    @Inject(TriggerMetrics) private readonly metrics: TriggerMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { topics, prefix } = this.config;
    // Route only once both views include everything written so far.
    await Promise.all([
      this.directory.start(this.kafka, topics.endpointConfig, `${prefix}tidings.trigger.endpoint-view`),
      this.duplicates.start(this.kafka, topics.triggerDedup, `${prefix}tidings.trigger.dedup-view`),
    ]);
    this.pipe = new TransactionalPipe(this.kafka, {
      inputTopic: topics.domainEvents,
      groupId: `${prefix}${CONSUMER_GROUPS.trigger}`,
      transactionalId: `${prefix}tidings.trigger.${this.options.instanceId}`,
      logger: this.logger,
      // An endpoint created (or deleted) before this batch was fetched must count for it.
      beforeBatch: () => Promise.all([this.directory.sync(), this.duplicates.sync()]).then(() => undefined),
      processBatch: async (records) => this.route(records),
    });
    await this.pipe.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pipe?.stop();
    await Promise.all([this.directory.stop(), this.duplicates.stop()]);
    this.logger.info('stopped consuming domain events');
  }

  /** The outputs of one batch. Pure apart from reading the two views. */
  private route(records: ConsumedRecord[]): BatchResult {
    const outputs: OutputRecord[] = [];
    const marked = new Map<string, number>();
    const outcomes = new Map<EventOutcome, number>();
    const count = (outcome: EventOutcome) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    let payloads = 0;
    for (const record of records) {
      const parent = extractTraceContext(record.headers);
      const span = tracer.startSpan(`process ${record.topic}`, { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': record.topic, 'messaging.kafka.offset': Number(record.offset) } }, parent);
      const headers = injectTraceContext({}, trace.setSpan(context.active(), span));
      try {
        const decoded = decodeCloudEvent(record);
        if (!decoded.ok) {
          outputs.push(this.deadLetter(record, decoded.code, decoded.reason));
          span.setAttribute('tidings.outcome', 'dead-lettered');
          count('dead_lettered');
          continue;
        }
        const { event } = decoded;
        const key = domainEventKey(event);
        if (this.duplicates.isDuplicate(key) || marked.has(key)) {
          span.setAttribute('tidings.outcome', 'duplicate');
          count('duplicate');
          continue;
        }
        const seenAt = Date.now();
        marked.set(key, seenAt);
        outputs.push({ topic: this.config.topics.triggerDedup, key, value: JSON.stringify({ seenAt }) });
        const endpoints = this.directory.subscribersOf(event.tailnet, event.type);
        const webhookEvent = buildWebhookEvent(event, this.options.adminConsoleUrl);
        for (const endpoint of endpoints) {
          const value: WebhookEventRecord = { schemaVersion: 1, kind: 'event', endpointId: endpoint.endpointId, tailnet: event.tailnet, event: webhookEvent };
          outputs.push({ topic: this.config.topics.webhookEvents, key: endpoint.endpointId, value: JSON.stringify(value), headers: { ...headers } });
        }
        span.setAttributes({ 'tidings.outcome': 'routed', 'tidings.endpoints': endpoints.length, 'tidings.event.type': event.type });
        count('routed');
        payloads += endpoints.length;
      } finally {
        span.end();
      }
    }
    return {
      outputs,
      onCommitted: () => {
        marked.forEach((at, key) => this.duplicates.remember(key, at));
        this.metrics.committed(outcomes, payloads);
      },
    };
  }

  /** The record unchanged, with headers saying why and where it came from. */
  private deadLetter(record: ConsumedRecord, code: RejectionCode, reason: string): OutputRecord {
    this.logger.warn({ partition: record.partition, offset: record.offset, code, reason }, 'dead-lettering unusable domain event');
    return {
      topic: this.config.topics.domainEventsDlq,
      key: record.key,
      value: record.value,
      headers: {
        ...record.headers,
        [KAFKA_HEADERS.dlqReason]: reason,
        [KAFKA_HEADERS.dlqReasonCode]: code,
        [KAFKA_HEADERS.dlqSourceTopic]: record.topic,
        [KAFKA_HEADERS.dlqSourcePartition]: String(record.partition),
        [KAFKA_HEADERS.dlqSourceOffset]: record.offset,
      },
    };
  }
}
