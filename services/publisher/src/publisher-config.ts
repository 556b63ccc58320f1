import {
  loadKafkaConfig,
  loadSections,
  loadSecretsConfig,
  loadTelemetryConfig,
  parseEnv,
  rules,
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
};

export interface PublisherConfig {
  port: number;
  egressProxyUrl: string;
  deliveryTimeoutMs: number;
  kafka: KafkaConfig;
  secrets: SecretsConfig;
  telemetry: TelemetryConfig;
}

export function loadPublisherConfig(env: Env): PublisherConfig {
  const { own, kafka, secrets, telemetry } = loadSections({
    own: () => parseEnv(publisherEnv, env),
    kafka: () => loadKafkaConfig(env, 'tidings-publisher'),
    secrets: () => loadSecretsConfig(env),
    telemetry: () => loadTelemetryConfig(env, 'tidings-publisher'),
  });
  return { port: own.PUBLISHER_PORT, egressProxyUrl: own.EGRESS_PROXY_URL, deliveryTimeoutMs: own.DELIVERY_TIMEOUT_MS, kafka, secrets, telemetry };
}
