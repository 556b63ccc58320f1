import { relayDataKeyLifetimeMs, relayDataKeyUseMs } from './relay-data-keys';
import { delayLabel, type RetrySchedule } from './retry-schedule';

/**
 * Every Kafka topic Tidings uses, in one place. Services never spell a topic name.
 *
 * Internal topics carry a version suffix: a breaking change to a record schema gets a new
 * topic (`.v2`) and a migration, never an in-place change. The domain-events topic is the
 * control plane's, so its name is configuration (DOMAIN_EVENTS_TOPIC) and only its default
 * lives here.
 */
export const DEFAULT_DOMAIN_EVENTS_TOPIC = 'tailnet.events';

/** Unusable domain events go here unchanged, with reason headers (PRODUCT: `tailnet.events.dlq`). */
export const domainEventsDlqTopic = (domainEventsTopic: string): string => `${domainEventsTopic}.dlq`;

export const INTERNAL_TOPICS = {
  /** Append-only endpoint configuration log (event-sourced); kept forever. Key: endpoint id. */
  endpointConfig: 'tidings.endpoint-config.v1',
  /**
   * An endpoint's delivery lane: webhook payloads, one record per (event, endpoint), and the
   * lane's control records (a retry resolved, a replay), so each takes its place in the
   * endpoint's order. Key: endpoint id.
   */
  webhookEvents: 'tidings.webhook-events.v1',
  /** Batches that exhausted the retry schedule (or met 410 Gone), with their events. Key: endpoint id. */
  webhookDeadLetters: 'tidings.webhook-dead-letters.v1',
  /** One record per delivery attempt: the deliveries the API shows. Key: endpoint id. */
  deliveryAttempts: 'tidings.delivery-attempts.v1',
  /** Commands to the subscriptions service from the pipeline (disable after failures). Key: endpoint id. */
  endpointCommands: 'tidings.endpoint-commands.v1',
  /**
   * Test events and `webhook*` notices: self-contained (target URL and sealed secrets inside),
   * consumed apart from the payloads so they never wait behind a backlog. Key: endpoint id.
   */
  webhookNotices: 'tidings.webhook-notices.v1',
  /**
   * The trigger's duplicate-suppression log: one record per domain event routed, key
   * `source` + NUL + `id`, written in the same Kafka transaction as the payloads.
   */
  triggerDedup: 'tidings.trigger-dedup.v1',
  /**
   * Internal records a consumer could not use (not JSON, or not the contract), as received
   * (same key and value) with the reason and source in `tidings-dlq-*` headers. Any key.
   */
  internalDeadLetters: 'tidings.internal-dead-letters.v1',
  /** The inbound relay's buckets and inputs (event-sourced); kept forever. Key: bucket id. */
  relayConfig: 'tidings.relay-config.v1',
  /** Requests a relay input accepted, sealed, written before the caller is answered. Key: input id. */
  relayRequests: 'tidings.relay-requests.v1',
  /** The data keys ephemeral relay requests are sealed under; kept only as long as the retry schedule needs them. Key: key id. */
  relayDataKeys: 'tidings.relay-data-keys.v1',
} as const;

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Broker-side topic configs (retention, cleanup policy). */
  config: Record<string, string>;
}

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** A domain event with the same `source` and `id` within this window produces no second payload. */
export const DEDUP_WINDOW_MS = DAY_MS;

/**
 * What the provisioning script creates. Partition counts bound consumer parallelism; the
 * payload topic is keyed by endpoint so per-endpoint order holds within a partition.
 */
export function topicSpecs(names: TopicNames, schedule: RetrySchedule): TopicSpec[] {
  return [
    { name: names.domainEvents, partitions: 6, config: { 'retention.ms': String(7 * DAY_MS) } },
    // A record the input accepted must fit here with the DLQ headers added, whatever its size.
    { name: names.domainEventsDlq, partitions: 1, config: { 'retention.ms': String(30 * DAY_MS), 'max.message.bytes': String(2 * 1024 * 1024) } },
    // The config event log is the source of truth for other services: never deleted.
    { name: names.endpointConfig, partitions: 3, config: { 'retention.ms': '-1', 'retention.bytes': '-1', 'cleanup.policy': 'delete' } },
    { name: names.webhookEvents, partitions: 6, config: { 'retention.ms': String(7 * DAY_MS) } },
    { name: names.webhookNotices, partitions: 3, config: { 'retention.ms': String(7 * DAY_MS) } },
    // A retry waits up to its delay in these; a week covers the longest schedule plus an outage.
    ...names.webhookRetries.map(({ name }) => ({ name, partitions: 6, config: { 'retention.ms': String(7 * DAY_MS) } })),
    { name: names.webhookDeadLetters, partitions: 3, config: { 'retention.ms': String(30 * DAY_MS) } },
    { name: names.deliveryAttempts, partitions: 3, config: { 'retention.ms': String(7 * DAY_MS) } },
    { name: names.endpointCommands, partitions: 3, config: { 'retention.ms': String(7 * DAY_MS) } },
    { name: names.internalDeadLetters, partitions: 1, config: { 'retention.ms': String(30 * DAY_MS) } },
    { name: names.relayConfig, partitions: 3, config: { 'retention.ms': '-1', 'retention.bytes': '-1', 'cleanup.policy': 'delete' } },
    // Sealed; kept as long as the retry topics keep what waits in them.
    { name: names.relayRequests, partitions: 6, config: { 'retention.ms': String(7 * DAY_MS) } },
    // Deleting a key is what deletes the ephemeral requests sealed under it: segments roll as
    // often as a key is replaced, so a key's segment goes soon after its lifetime.
    { name: names.relayDataKeys, partitions: 1, config: { 'retention.ms': String(relayDataKeyLifetimeMs(schedule)), 'segment.ms': String(relayDataKeyUseMs(schedule)) } },
    // Compacted per event key, and whole segments dropped once older than the 24 h window.
    { name: names.triggerDedup, partitions: 6, config: { 'cleanup.policy': 'compact,delete', 'retention.ms': String(DEDUP_WINDOW_MS + HOUR_MS), 'segment.ms': String(HOUR_MS) } },
  ];
}

/** Resolved topic names for one deployment (prefix applied to internal topics). */
export interface TopicNames {
  domainEvents: string;
  domainEventsDlq: string;
  endpointConfig: string;
  webhookEvents: string;
  webhookNotices: string;
  triggerDedup: string;
  /** The retry topic chain: one topic per distinct delay of RETRY_SCHEDULE. */
  webhookRetries: RetryTopic[];
  webhookDeadLetters: string;
  deliveryAttempts: string;
  endpointCommands: string;
  internalDeadLetters: string;
  relayConfig: string;
  relayRequests: string;
  relayDataKeys: string;
}

export interface RetryTopic {
  delayMs: number;
  name: string;
}

/** `tidings.webhook-retry.1h.v1`: named by its delay, so a schedule change reuses what exists. */
export const retryTopicName = (prefix: string, delayMs: number): string => `${prefix}tidings.webhook-retry.${delayLabel(delayMs)}.v1`;

/**
 * KAFKA_TOPIC_PREFIX lets several Tidings installations (or test runs) share one cluster;
 * it applies to internal topics and consumer groups, never to the control plane's topic.
 */
export function resolveTopicNames(options: { domainEventsTopic: string; prefix: string; retryDelaysMs: number[] }): TopicNames {
  const internal = (name: string) => `${options.prefix}${name}`;
  return {
    domainEvents: options.domainEventsTopic,
    domainEventsDlq: domainEventsDlqTopic(options.domainEventsTopic),
    endpointConfig: internal(INTERNAL_TOPICS.endpointConfig),
    webhookEvents: internal(INTERNAL_TOPICS.webhookEvents),
    webhookNotices: internal(INTERNAL_TOPICS.webhookNotices),
    triggerDedup: internal(INTERNAL_TOPICS.triggerDedup),
    webhookRetries: [...new Set(options.retryDelaysMs)].map((delayMs) => ({ delayMs, name: retryTopicName(options.prefix, delayMs) })),
    webhookDeadLetters: internal(INTERNAL_TOPICS.webhookDeadLetters),
    deliveryAttempts: internal(INTERNAL_TOPICS.deliveryAttempts),
    endpointCommands: internal(INTERNAL_TOPICS.endpointCommands),
    internalDeadLetters: internal(INTERNAL_TOPICS.internalDeadLetters),
    relayConfig: internal(INTERNAL_TOPICS.relayConfig),
    relayRequests: internal(INTERNAL_TOPICS.relayRequests),
    relayDataKeys: internal(INTERNAL_TOPICS.relayDataKeys),
  };
}
