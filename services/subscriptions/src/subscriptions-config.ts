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

const subscriptionsEnv = {
  SUBSCRIPTIONS_PORT: rules.port(8080),
  /** Shared with the egress: endpoint URLs with IP literals in these ranges are accepted. */
  EGRESS_ALLOW_CIDRS: rules.cidrList(),
  /** Who may put the console in a frame (CSP frame-ancestors): a platform embedding it for its customers. */
  CONSOLE_FRAME_ANCESTORS: rules.frameAncestors(),
  EGRESS_TAILNET_CIDRS: rules.tailnetCidrs(),
  /** How long the relay's request log keeps a request (its sealed content, or for an ephemeral bucket its method, size and time). */
  RELAY_REQUEST_LOG_RETENTION_HOURS: rules.positiveInt(168, 'hours'),
  RELAY_REQUEST_LOG_SWEEP_INTERVAL_MS: rules.positiveInt(3_600_000, 'milliseconds'),
};

export interface SubscriptionsConfig {
  port: number;
  allowCidrs: string[];
  /** EGRESS_TAILNET_CIDRS: the ranges each open to one tailnet only, judged at create like the egress judges them. */
  tailnetCidrs: Record<string, string[]>;
  consoleFrameAncestors: string;
  relayRequestLog: { retentionHours: number; sweepIntervalMs: number };
  database: DatabaseConfig;
  kafka: KafkaConfig;
  secrets: SecretsConfig;
  telemetry: TelemetryConfig;
}

export function loadSubscriptionsConfig(env: Env): SubscriptionsConfig {
  const { own, database, kafka, secrets, telemetry } = loadSections({
    own: () => parseEnv(subscriptionsEnv, env),
    database: () => loadDatabaseConfig(env),
    kafka: () => loadKafkaConfig(env, 'tidings-subscriptions'),
    secrets: () => loadSecretsConfig(env),
    telemetry: () => loadTelemetryConfig(env, 'tidings-subscriptions'),
  });
  return {
    port: own.SUBSCRIPTIONS_PORT,
    allowCidrs: own.EGRESS_ALLOW_CIDRS, tailnetCidrs: own.EGRESS_TAILNET_CIDRS, consoleFrameAncestors: own.CONSOLE_FRAME_ANCESTORS,
    relayRequestLog: { retentionHours: own.RELAY_REQUEST_LOG_RETENTION_HOURS, sweepIntervalMs: own.RELAY_REQUEST_LOG_SWEEP_INTERVAL_MS },
    database,
    kafka,
    secrets,
    telemetry,
  };
}
