import { DEFAULT_DOMAIN_EVENTS_TOPIC, DEFAULT_RETRY_SCHEDULE, resolveTopicNames, type RetrySchedule, type TopicNames } from '@tidings/contracts';
import { rules } from './env-rules';
import { parseEnv, type Env } from './load-config';

/** Variables every Kafka-connected service reads. */
export const kafkaEnv = {
  KAFKA_BROKERS: rules.hostPortList('localhost:9092'),
  KAFKA_TOPIC_PREFIX: rules.topicPrefix(),
  DOMAIN_EVENTS_TOPIC: rules.topicName(DEFAULT_DOMAIN_EVENTS_TOPIC),
  /** Read with the Kafka settings because the retry topics are named after its delays. */
  RETRY_SCHEDULE: rules.retrySchedule(DEFAULT_RETRY_SCHEDULE),
};

export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  /** Prefix of internal topics and consumer groups (KAFKA_TOPIC_PREFIX). */
  prefix: string;
  topics: TopicNames;
  retrySchedule: RetrySchedule;
}

export function loadKafkaConfig(env: Env, clientId: string): KafkaConfig {
  const v = parseEnv(kafkaEnv, env);
  return {
    brokers: v.KAFKA_BROKERS,
    clientId,
    prefix: v.KAFKA_TOPIC_PREFIX,
    topics: resolveTopicNames({ domainEventsTopic: v.DOMAIN_EVENTS_TOPIC, prefix: v.KAFKA_TOPIC_PREFIX, retryDelaysMs: v.RETRY_SCHEDULE.delaysMs }),
    retrySchedule: v.RETRY_SCHEDULE,
  };
}

export const telemetryEnv = {
  OTEL_EXPORTER_OTLP_ENDPOINT: rules.optionalUrl(['http:', 'https:']),
  LOG_LEVEL: rules.logLevel(),
};

export interface TelemetryConfig {
  serviceName: string;
  otlpEndpoint: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
}

export function loadTelemetryConfig(env: Env, serviceName: string): TelemetryConfig {
  const v = parseEnv(telemetryEnv, env);
  return { serviceName, otlpEndpoint: v.OTEL_EXPORTER_OTLP_ENDPOINT, logLevel: v.LOG_LEVEL };
}

export const databaseEnv = {
  DATABASE_URL: rules.url(['postgres:', 'postgresql:']),
};

export interface DatabaseConfig {
  url: string;
}

export function loadDatabaseConfig(env: Env): DatabaseConfig {
  return { url: parseEnv(databaseEnv, env).DATABASE_URL };
}

/**
 * SECRETS_ENCRYPTION_KEYS: `keyId:base64key,...` with 32-byte keys. The first key seals, every
 * key opens, so the master key rotates by putting a new key first.
 */
export const secretsEnv = {
  SECRETS_ENCRYPTION_KEYS: rules.keyring(),
};

export interface SecretsConfig {
  keys: { id: string; key: Buffer }[];
}

export function loadSecretsConfig(env: Env): SecretsConfig {
  return { keys: parseEnv(secretsEnv, env).SECRETS_ENCRYPTION_KEYS };
}
