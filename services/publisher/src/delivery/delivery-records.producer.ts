import { randomUUID } from 'node:crypto';
import {
  type DeadLetterCause,
  type DeadLetterRecord,
  type DeliveryAttemptRecord,
  type DeliveryBatch,
  type EndpointCommandRecord,
  type Failure,
  type RetryRecord,
  type RetryResolvedRecord,
  type TopicNames,
} from '@tidings/contracts';
import type { KafkaProducerService } from '@tidings/kafka-nest';
import type { PublisherMetrics } from './publisher-metrics';
import type { AttemptOutcome } from './delivery-terms';

export interface EndpointRef {
  endpointId: string;
  tailnet: string;
}

/**
 * Everything the publisher writes to Kafka about a delivery: the attempt log, the retry chain,
 * the dead letters, the endpoint's lane (retryResolved) and the disable command. Every record
 * is keyed by endpoint id.
 */
/** The next attempt of a failed batch, as the retry topic of its delay carries it. */
export interface ScheduledRetry {
  batch: DeliveryBatch;
  attempt: number;
  dueAt: Date;
  firstFailedAt: string;
  lastFailure: Failure;
  originTraceparent: string | null;
}

export class DeliveryRecordsProducer {
  constructor(
    private readonly producer: KafkaProducerService,
    private readonly topics: TopicNames,
    private readonly metrics: PublisherMetrics,
  ) {}

  async attempt(endpoint: EndpointRef, batch: DeliveryBatch, attempt: number, result: AttemptOutcome, nextAttemptAt: Date | null): Promise<void> {
    const record: DeliveryAttemptRecord = {
      schemaVersion: 1,
      ...ref(endpoint),
      batchId: batch.id,
      attempt,
      outcome: result.outcome === 'delivered' ? 'delivered' : 'failed',
      status: result.status,
      reason: result.outcome === 'delivered' ? null : result.reason,
      latencyMs: Math.round(result.latencyMs),
      attemptedAt: new Date().toISOString(),
      eventIds: batch.events.map((e) => e.id),
      nextAttemptAt: nextAttemptAt?.toISOString() ?? null,
      // Once per batch: the events and headers would only repeat on later attempts.
      ...(attempt === 1 && result.sentHeaders ? { request: { headers: result.sentHeaders, events: batch.events } } : {}),
    };
    await this.send(this.topics.deliveryAttempts, endpoint.endpointId, record);
  }

  async retry(topic: string, endpoint: EndpointRef, next: ScheduledRetry): Promise<void> {
    const { batch, attempt, dueAt, firstFailedAt, lastFailure, originTraceparent } = next;
    const record: RetryRecord = { schemaVersion: 1, ...ref(endpoint), batch, attempt, dueAt: dueAt.toISOString(), firstFailedAt, lastFailure, originTraceparent };
    await this.send(topic, endpoint.endpointId, record);
  }

  /** The same retry, due again at `dueAt`, one deferral more (its hold was not there yet). */
  async deferRetry(topic: string, r: RetryRecord, dueAt: Date): Promise<void> {
    await this.send(topic, r.endpointId, { ...r, dueAt: dueAt.toISOString(), deferrals: (r.deferrals ?? 0) + 1 } satisfies RetryRecord);
  }

  async deadLetter(endpoint: EndpointRef, batch: DeliveryBatch, cause: DeadLetterCause, attempts: number, reason: string): Promise<void> {
    const record: DeadLetterRecord = { schemaVersion: 1, ...ref(endpoint), batch, cause, attempts, reason, deadLetteredAt: new Date().toISOString() };
    await this.send(this.topics.webhookDeadLetters, endpoint.endpointId, record);
    this.metrics.deadLettered(cause, batch.events.length);
  }

  async disableEndpoint(endpoint: EndpointRef, reason: string): Promise<void> {
    const record: EndpointCommandRecord = { schemaVersion: 1, ...ref(endpoint), commandId: randomUUID(), type: 'disableEndpoint', reason, issuedAt: new Date().toISOString() };
    await this.send(this.topics.endpointCommands, endpoint.endpointId, record);
  }

  async retryResolved(endpoint: EndpointRef, batchId: string, outcome: RetryResolvedRecord['outcome'], reason: string | null): Promise<void> {
    const record: RetryResolvedRecord = { schemaVersion: 1, kind: 'retryResolved', ...ref(endpoint), batchId, outcome, reason };
    await this.send(this.topics.webhookEvents, endpoint.endpointId, record);
  }

  private async send(topic: string, key: string, value: unknown): Promise<void> {
    await this.producer.send(topic, [{ key, value: JSON.stringify(value) }]);
  }
}

const ref = (e: EndpointRef): EndpointRef => ({ endpointId: e.endpointId, tailnet: e.tailnet });
