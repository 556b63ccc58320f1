import type { TopicNames } from './topics';

/** The services that consume Kafka (the egress does not). */
export type ConsumingService = 'trigger' | 'publisher' | 'subscriptions' | 'relay';

/**
 * How a consumer commits, which says what a crash can cost:
 * - `record`: one record at a time, its offset committed after its handler resolved;
 * - `batch`: a fetched batch handled whole, committed after the handler resolved;
 * - `transactional`: outputs and offsets committed in one Kafka transaction (exactly once);
 * - `lane`: records fan out to per-endpoint lanes; offsets committed up to each partition's
 *   first unfinished record;
 * - `scheduled`: a record waits (its partition paused) until its due time;
 * - `replay`: a whole log read into memory on every boot; a throw-away group per instance,
 *   nothing committed, so it reports no lag.
 */
export type ConsumerMode = 'record' | 'batch' | 'transactional' | 'lane' | 'scheduled' | 'replay';

export interface ConsumerDeclaration {
  service: ConsumingService;
  /** Group id without KAFKA_TOPIC_PREFIX; versioned with the topics it reads. */
  group: string;
  topics: (names: TopicNames) => string[];
  mode: ConsumerMode;
  /** Longest fetch wait: bounds both the idle latency and how long a graceful stop waits. */
  fetchWaitMs: number;
}

/**
 * Every Kafka consumer of every service, declared once. A service builds its consumers from
 * this table (`@tidings/kafka`'s `openDeclaredConsumer`), refuses to boot when a declared
 * consumer is not built or a built one's handlers differ from its declared topics, and reports
 * lag (`tidings_kafka_consumer_lag`) for exactly the groups listed here.
 */
export const CONSUMERS = {
  triggerDomainEvents: { service: 'trigger', group: 'tidings.trigger.v1', topics: (t) => [t.domainEvents], mode: 'transactional', fetchWaitMs: 1_000 },
  triggerEndpointView: { service: 'trigger', group: 'tidings.trigger.endpoint-view', topics: (t) => [t.endpointConfig], mode: 'replay', fetchWaitMs: 1_000 },
  triggerDedupView: { service: 'trigger', group: 'tidings.trigger.dedup-view', topics: (t) => [t.triggerDedup], mode: 'replay', fetchWaitMs: 1_000 },
  // Half the others' wait: a lane's idle latency is a payload's first-try latency.
  publisherLanes: { service: 'publisher', group: 'tidings.publisher.v1', topics: (t) => [t.webhookEvents], mode: 'lane', fetchWaitMs: 500 },
  publisherRetries: { service: 'publisher', group: 'tidings.publisher.retries.v1', topics: (t) => t.webhookRetries.map((r) => r.name), mode: 'scheduled', fetchWaitMs: 1_000 },
  publisherNotices: { service: 'publisher', group: 'tidings.publisher.notices.v1', topics: (t) => [t.webhookNotices], mode: 'record', fetchWaitMs: 1_000 },
  publisherEndpointView: { service: 'publisher', group: 'tidings.publisher.endpoint-view', topics: (t) => [t.endpointConfig], mode: 'replay', fetchWaitMs: 1_000 },
  subscriptionsDeliveries: {
    service: 'subscriptions',
    group: 'tidings.subscriptions.deliveries.v1',
    topics: (t) => [t.deliveryAttempts, t.webhookDeadLetters],
    mode: 'batch',
    fetchWaitMs: 1_000,
  },
  relayConfigView: { service: 'relay', group: 'tidings.relay.config-view', topics: (t) => [t.relayConfig], mode: 'replay', fetchWaitMs: 1_000 },
  // Half the others' wait, like the lanes: it is on the path from an accepted request to its outputs.
  relayRouter: { service: 'relay', group: 'tidings.relay.router.v1', topics: (t) => [t.relayRequests], mode: 'transactional', fetchWaitMs: 500 },
  publisherRelayOutputsView: { service: 'publisher', group: 'tidings.publisher.relay-outputs-view', topics: (t) => [t.relayConfig], mode: 'replay', fetchWaitMs: 1_000 },
  publisherRelayDataKeys: { service: 'publisher', group: 'tidings.publisher.relay-data-keys', topics: (t) => [t.relayDataKeys], mode: 'replay', fetchWaitMs: 1_000 },
  subscriptionsRelayRequests: { service: 'subscriptions', group: 'tidings.subscriptions.relay-requests.v1', topics: (t) => [t.relayRequests], mode: 'batch', fetchWaitMs: 1_000 },
  subscriptionsCommands: { service: 'subscriptions', group: 'tidings.subscriptions.commands.v1', topics: (t) => [t.endpointCommands], mode: 'record', fetchWaitMs: 1_000 },
} as const satisfies Record<string, ConsumerDeclaration>;

export type ConsumerName = keyof typeof CONSUMERS;

/** The consumers one service declares, by name. */
export type ConsumerNameOf<S extends ConsumingService> = { [N in ConsumerName]: (typeof CONSUMERS)[N]['service'] extends S ? N : never }[ConsumerName];

/** A declaration with this deployment's prefix and topic names applied. */
export interface ResolvedConsumer {
  /** The declaration's name (a test's own reader names itself). */
  name: string;
  mode: ConsumerMode;
  /** For `replay`, the prefix of each instance's own group. */
  groupId: string;
  topics: string[];
  fetchWaitMs: number;
}

export function resolveConsumer(name: ConsumerName, kafka: { prefix: string; topics: TopicNames }): ResolvedConsumer {
  const d: ConsumerDeclaration = CONSUMERS[name];
  return { name, mode: d.mode, groupId: `${kafka.prefix}${d.group}`, topics: d.topics(kafka.topics), fetchWaitMs: d.fetchWaitMs };
}

/**
 * The consumers a service runs in this deployment: a declaration whose topics resolve to none
 * (the retry chain under an empty RETRY_SCHEDULE) is not run.
 */
export function consumersOf(service: ConsumingService, kafka: { prefix: string; topics: TopicNames }): ResolvedConsumer[] {
  return (Object.keys(CONSUMERS) as ConsumerName[])
    .filter((name) => CONSUMERS[name].service === service)
    .map((name) => resolveConsumer(name, kafka))
    .filter((c) => c.topics.length > 0);
}
