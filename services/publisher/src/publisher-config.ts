import {
  loadDatabaseConfig,
  loadKafkaConfig,
  loadSections,
  loadSecretsConfig,
  loadTelemetryConfig,
  parseEnv,
  rules,
  type DatabaseConfig,
  type Env,
  type KafkaConfig,
  type SecretsConfig,
  type TelemetryConfig,
} from '@tidings/config';

const publisherEnv = {
  PUBLISHER_PORT: rules.port(8082),
  /** Every delivery goes through this forward proxy; there is no direct path. */
  EGRESS_PROXY_URL: rules.url(['http:']).default('http://localhost:9090'),
  DELIVERY_TIMEOUT_MS: rules.positiveInt(15_000, 'milliseconds'),
  DELIVERY_CONCURRENCY: rules.positiveInt(64, 'requests'),
  BATCH_MAX_EVENTS: rules.positiveInt(100, 'events'),
  BATCH_MAX_BYTES: rules.positiveInt(256 * 1024, 'bytes'),
  BATCH_LINGER_MS: rules.positiveInt(1_000, 'milliseconds'),
  /** Unfinished lane records held per webhook-events partition before it stops fetching (memory; batch fill under fan-out). */
  LANES_MAX_PENDING_RECORDS: rules.positiveInt(10_000, 'records'),
  /** Past this share of its heap limit, the publisher stops fetching payloads whatever the count. */
  LANES_PAUSE_AT_HEAP_PERCENT: rules.percent(70),
  /** How often to look for held endpoints whose retry record is gone (retry/lost-retry-check.ts). */
  LOST_RETRY_CHECK_INTERVAL_MS: rules.positiveInt(60_000, 'milliseconds'),
  /** Margin for the clock difference between the publisher and PostgreSQL in that check. */
  LOST_RETRY_GRACE_MS: rules.positiveInt(300_000, 'milliseconds'),
};

export interface PublisherConfig {
  port: number;
  egressProxyUrl: string;
  deliveryTimeoutMs: number;
  /** Requests to the egress proxy in flight at once (the pool's connections). */
  deliveryConcurrency: number;
  batch: { maxEvents: number; maxBytes: number; lingerMs: number };
  /** Per owned partition: above this many unfinished records it stops fetching, until half are done. */
  lanesMaxPendingRecords: number;
  lanesPauseAtHeapPercent: number;
  /** The lost-retry check: its period, and the clock margin it allows. */
  lostRetry: { intervalMs: number; graceMs: number };
  kafka: KafkaConfig;
  database: DatabaseConfig;
  secrets: SecretsConfig;
  telemetry: TelemetryConfig;
}

export function loadPublisherConfig(env: Env): PublisherConfig {
  const { own, kafka, database, secrets, telemetry } = loadSections({
    own: () => parseEnv(publisherEnv, env),
    kafka: () => loadKafkaConfig(env, 'tidings-publisher'),
    database: () => loadDatabaseConfig(env),
    secrets: () => loadSecretsConfig(env),
    telemetry: () => loadTelemetryConfig(env, 'tidings-publisher'),
  });
  return {
    port: own.PUBLISHER_PORT,
    egressProxyUrl: own.EGRESS_PROXY_URL,
    deliveryTimeoutMs: own.DELIVERY_TIMEOUT_MS,
    deliveryConcurrency: own.DELIVERY_CONCURRENCY,
    batch: { maxEvents: own.BATCH_MAX_EVENTS, maxBytes: own.BATCH_MAX_BYTES, lingerMs: own.BATCH_LINGER_MS },
    lanesMaxPendingRecords: own.LANES_MAX_PENDING_RECORDS,
    lanesPauseAtHeapPercent: own.LANES_PAUSE_AT_HEAP_PERCENT,
    lostRetry: { intervalMs: own.LOST_RETRY_CHECK_INTERVAL_MS, graceMs: own.LOST_RETRY_GRACE_MS },
    kafka,
    database,
    secrets,
    telemetry,
  };
}
