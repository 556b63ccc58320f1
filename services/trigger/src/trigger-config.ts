import { loadKafkaConfig, loadSections, loadTelemetryConfig, parseEnv, rules, type Env, type KafkaConfig, type TelemetryConfig } from '@tidings/config';

const triggerEnv = {
  TRIGGER_PORT: rules.port(8081),
  /** Base of the admin-console links put in events where someone must act. */
  ADMIN_CONSOLE_URL: rules.url(['https:', 'http:']).default('https://login.tailscale.com/admin'),
};

export interface TriggerConfig {
  port: number;
  adminConsoleUrl: string;
  kafka: KafkaConfig;
  telemetry: TelemetryConfig;
}

export function loadTriggerConfig(env: Env): TriggerConfig {
  const { own, kafka, telemetry } = loadSections({
    own: () => parseEnv(triggerEnv, env),
    kafka: () => loadKafkaConfig(env, 'tidings-trigger'),
    telemetry: () => loadTelemetryConfig(env, 'tidings-trigger'),
  });
  return { port: own.TRIGGER_PORT, adminConsoleUrl: own.ADMIN_CONSOLE_URL.replace(/\/+$/, ''), kafka, telemetry };
}
