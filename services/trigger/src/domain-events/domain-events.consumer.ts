import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { context, trace, type Context } from '@opentelemetry/api';
import { consumersOf, domainEventKey, encodeWebhookEventRecords, resolveConsumer, type ResolvedConsumer } from '@tidings/contracts';
import type { KafkaConfig } from '@tidings/config';
import { assertConsumersBuilt, deadLetterMessage, injectTraceContext, startCreateSpan, startProcessSpan, TransactionalPipe, type BatchResult, type ConsumedRecord, type OutputRecord } from '@tidings/kafka';
import { KAFKA_CLIENT, KAFKA_CONFIG, SERVICE_LOGGER } from '@tidings/kafka-nest';
import type { Logger } from '@tidings/telemetry';
import type { Kafka } from 'kafkajs';
import { BatchTally, TriggerMetrics } from '../trigger-metrics';
import { buildWebhookEvent } from '../routing/payload-builder';
import { decodeCloudEvent, type DomainEvent, type RejectionCode } from './cloud-event-decoder';
import { TriggerViews } from './trigger-views';

export const TRIGGER_OPTIONS = Symbol('TRIGGER_OPTIONS');
export interface TriggerOptions {
  adminConsoleUrl: string;
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
  private readonly declared: ResolvedConsumer;
  /**
   * Dedup keys routed by batches not yet committed: partitions run in parallel, so a duplicate
   * on another partition must not pass while the first is in flight. Released on commit (the
   * key is then remembered) or abort (the batch is read again).
   */
  private readonly inFlight = new Set<string>();

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(KAFKA_CONFIG) private readonly config: KafkaConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    @Inject(TRIGGER_OPTIONS) private readonly options: TriggerOptions,
    private readonly views: TriggerViews,
    @Inject(TriggerMetrics) private readonly metrics: TriggerMetrics,
  ) {
    this.declared = resolveConsumer('triggerDomainEvents', config);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { prefix } = this.config;
    // The trigger's consumers are the pipe and the two views: exactly what CONSUMERS declares.
    assertConsumersBuilt(consumersOf('trigger', this.config), [this.declared.name, ...this.views.declared.map((d) => d.name)]);
    // Route only once both views include everything written so far.
    await this.views.start(this.kafka);
    this.pipe = new TransactionalPipe(this.kafka, {
      declared: this.declared,
      transactionalIdPrefix: `${prefix}tidings.trigger`,
      logger: this.logger,
      beforeBatch: () => this.views.syncEndpoints(),
      onPartitionOwned: () => this.views.syncDuplicates(),
      processBatch: async (records, maxOutputs) => this.route(records, maxOutputs),
    });
    await this.pipe.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pipe?.stop();
    await this.views.stop();
    this.logger.info('stopped consuming domain events');
  }

  /** The outputs of the batch's first records, up to the budget. Pure apart from reading the two views. */
  private route(records: ConsumedRecord[], maxOutputs: number): BatchResult {
    const outputs: OutputRecord[] = [];
    const marked = new Map<string, number>();
    const tally = new BatchTally();
    const { groupId } = this.declared;
    let taken = 0;
    for (const record of records) {
      if (taken > 0 && outputs.length >= maxOutputs) break;
      taken += 1;
      const span = startProcessSpan(record, { groupId });
      const consumed = trace.setSpan(context.active(), span);
      try {
        const reject = (code: RejectionCode, reason: string) => {
          outputs.push(this.deadLetter(record, code, reason));
          span.setAttributes({ 'tidings.outcome': 'dead_lettered', 'tidings.dlq.reason_code': code });
          tally.deadLettered(code);
        };
        const decoded = decodeCloudEvent(record);
        if (!decoded.ok) {
          reject(decoded.code, decoded.reason);
          continue;
        }
        const { event } = decoded;
        span.setAttributes({ 'tidings.event.type': event.type, 'tidings.tailnet': event.tailnet, 'cloudevents.event_id': event.id, 'cloudevents.event_source': event.source });
        const key = domainEventKey(event);
        if (this.views.duplicates.isDuplicate(key) || marked.has(key) || this.inFlight.has(key)) {
          span.setAttribute('tidings.outcome', 'duplicate');
          tally.count('duplicate');
          continue;
        }
        let payloads: OutputRecord[];
        try {
          payloads = this.payloadsFor(event, consumed);
        } catch (error) {
          // A valid event that still cannot become webhooks is that record's fault, not the
          // partition's: dead-lettered with the error, never a consumer crash on every retry.
          reject('invalid-data', `could not build its webhooks: ${(error as Error).message}`);
          continue;
        }
        const seenAt = Date.now();
        marked.set(key, seenAt);
        // On the dedup partition numbered like the input partition (modulo, should the counts
        // differ): a batch's marks touch one partition, not one per key, so each transaction
        // writes (and the broker marks) fewer. A key keeps its partition: an event and its
        // duplicates share the input partition (the key is the tailnet).
        const partition = record.partition % Math.max(1, this.views.duplicates.partitions);
        outputs.push({ topic: this.config.topics.triggerDedup, key, value: JSON.stringify({ seenAt }), partition });
        outputs.push(...payloads);
        span.setAttribute('tidings.outcome', 'routed');
        tally.count('routed');
      } finally {
        span.end();
      }
    }
    tally.payloads = outputs.filter((o) => o.topic === this.config.topics.webhookEvents).length;
    for (const key of marked.keys()) this.inFlight.add(key);
    const settle = () => marked.forEach((_, key) => this.inFlight.delete(key));
    return {
      outputs,
      consumed: taken,
      onCommitted: () => {
        marked.forEach((at, key) => this.views.duplicates.remember(key, at));
        settle();
        this.metrics.committed(tally);
      },
      onAborted: settle,
    };
  }

  /**
   * One payload per subscribed endpoint, inside a `route` span; they share one `create` span,
   * whose context each carries, so every endpoint's delivery continues the event's trace.
   */
  private payloadsFor(event: DomainEvent, consumed: Context): OutputRecord[] {
    const endpoints = this.views.endpoints.subscribersOf(event.tailnet, event.type);
    const routing = tracer.startSpan('route', { attributes: { 'tidings.event.type': event.type, 'tidings.tailnet': event.tailnet, 'tidings.endpoint.count': endpoints.length } }, consumed);
    try {
      if (endpoints.length === 0) return [];
      const topic = this.config.topics.webhookEvents;
      const created = startCreateSpan(topic, endpoints.length, trace.setSpan(consumed, routing));
      const headers = injectTraceContext({}, trace.setSpan(consumed, created));
      created.end();
      const ids = endpoints.map((endpoint) => endpoint.endpointId);
      const values = encodeWebhookEventRecords(event.tailnet, buildWebhookEvent(event, this.options.adminConsoleUrl), ids);
      // The records share the headers object: nothing downstream of the send writes to it.
      return ids.map((endpointId, i) => ({ topic, key: endpointId, value: values[i]!, headers }));
    } finally {
      routing.end();
    }
  }

  /** The record unchanged, with headers saying why and where it came from. */
  private deadLetter(record: ConsumedRecord, code: RejectionCode, reason: string): OutputRecord {
    this.logger.warn({ partition: record.partition, offset: record.offset, code, reason }, 'dead-lettering unusable domain event');
    return { topic: this.config.topics.domainEventsDlq, ...deadLetterMessage(record, code, reason) };
  }
}
