import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { KafkaConfig } from '@tidings/config';
import { consumersOf, relayLaneEvent, relayRequestRecordSchema, resolveConsumer, type ResolvedConsumer, type WebhookEventRecord } from '@tidings/contracts';
import { context, trace, type Context } from '@opentelemetry/api';
import { assertConsumersBuilt, deadLetterMessage, decodeJsonRecord, injectTraceContext, startCreateSpan, startProcessSpan, TransactionalPipe, type BatchResult, type ConsumedRecord, type OutputRecord } from '@tidings/kafka';
import { KAFKA_CLIENT, KAFKA_CONFIG, SERVICE_LOGGER } from '@tidings/kafka-nest';
import type { Logger } from '@tidings/telemetry';
import type { Kafka } from 'kafkajs';
import { RelayDirectory } from './relay-directory';

/**
 * Fans each accepted request out to its input's outputs, exactly once: one record per output
 * on the delivery lanes (webhook-events, keyed by output), committed with the consumer
 * offsets in one Kafka transaction. From there the publisher delivers it as it delivers
 * webhooks. An input deleted before its request was routed sends it nowhere; an unreadable
 * record goes to the internal dead letters in the same transaction.
 */
@Injectable()
export class RelayRouterConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private pipe: TransactionalPipe | undefined;
  private readonly declared: ResolvedConsumer;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(KAFKA_CONFIG) private readonly config: KafkaConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly directory: RelayDirectory,
  ) {
    this.declared = resolveConsumer('relayRouter', config);
  }

  async onApplicationBootstrap(): Promise<void> {
    assertConsumersBuilt(consumersOf('relay', this.config), ['relayConfigView', this.declared.name]);
    this.pipe = new TransactionalPipe(this.kafka, {
      declared: this.declared,
      transactionalIdPrefix: `${this.config.prefix}tidings.relay`,
      logger: this.logger,
      // An input created just before its first request was accepted is known when it is routed.
      beforeBatch: () => this.directory.sync(),
      processBatch: async (records) => this.route(records),
    });
    await this.pipe.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pipe?.stop();
  }

  private route(records: ConsumedRecord[]): BatchResult {
    const outputs: OutputRecord[] = [];
    for (const record of records) {
      // The trace the relay started on accepting the request goes on to the publisher and the egress.
      const span = startProcessSpan(record, { groupId: this.declared.groupId });
      try {
        outputs.push(...this.routeOne(record, trace.setSpan(context.active(), span)));
      } finally {
        span.end();
      }
    }
    return { outputs };
  }

  private routeOne(record: ConsumedRecord, consumed: Context): OutputRecord[] {
    const decoded = decodeJsonRecord(record, relayRequestRecordSchema);
    if (!decoded.ok) {
      this.logger.error({ partition: record.partition, offset: record.offset, reason: decoded.reason }, 'unreadable relay request record');
      return [{ topic: this.config.topics.internalDeadLetters, ...deadLetterMessage(record, 'invalid', decoded.reason) }];
    }
    const request = decoded.value;
    // Delivered already, to a waiting input's destination: it is in the log, and goes nowhere else.
    if (request.delivered) return [];
    const input = this.directory.input(request.inputId);
    if (!input) {
      this.logger.warn({ inputId: request.inputId, requestId: request.requestId }, 'relay request for an input deleted since; sent nowhere');
      return [];
    }
    const topic = this.config.topics.webhookEvents;
    const created = startCreateSpan(topic, input.outputs.length, consumed);
    const headers = injectTraceContext({}, trace.setSpan(consumed, created));
    created.end();
    const event = relayLaneEvent(request);
    return input.outputs.map((output) => {
      const lane: WebhookEventRecord = { schemaVersion: 1, kind: 'event', endpointId: output.outputId, tailnet: request.tailnet, event };
      return { topic, key: output.outputId, value: JSON.stringify(lane), headers: { ...headers } };
    });
  }
}
