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
};

export interface SubscriptionsConfig {
  port: number;
  allowCidrs: string[];
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
  return { port: own.SUBSCRIPTIONS_PORT, allowCidrs: own.EGRESS_ALLOW_CIDRS, database, kafka, secrets, telemetry };
}
