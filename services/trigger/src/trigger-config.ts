import { hostname } from 'node:os';
import { z } from 'zod';
import { loadKafkaConfig, loadSections, loadTelemetryConfig, parseEnv, rules, type Env, type KafkaConfig, type TelemetryConfig } from '@tidings/config';

const triggerEnv = {
  TRIGGER_PORT: rules.port(8081),
  /** Base of the admin-console links put in events where someone must act. */
  ADMIN_CONSOLE_URL: rules.url(['https:', 'http:']).default('https://login.tailscale.com/admin'),
  /**
   * Names this instance to the brokers (its Kafka client id, `tidings-trigger.<id>`) and in its
   * logs. Transactions are named per input partition, not per instance (TransactionalPipe).
   */
  TRIGGER_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1-100 of [A-Za-z0-9._-]').default(hostname()),
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
  return {
    port: own.TRIGGER_PORT,
    adminConsoleUrl: own.ADMIN_CONSOLE_URL.replace(/\/+$/, ''),
    kafka: { ...kafka, clientId: `${kafka.clientId}.${own.TRIGGER_INSTANCE_ID}` },
    telemetry,
  };
}
