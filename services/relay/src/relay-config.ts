import { hostname } from 'node:os';
import { z } from 'zod';
import { loadKafkaConfig, loadSecretsConfig, loadSections, loadTelemetryConfig, parseEnv, rules, type Env, type KafkaConfig, type SecretsConfig, type TelemetryConfig } from '@tidings/config';

const relayEnv = {
  RELAY_PORT: rules.port(8083),
  /**
   * Load balancers and ingresses in front of the relay: only a peer in these may name the
   * caller in X-Forwarded-For (a bucket's source CIDRs check the caller). Empty: the socket's peer.
   */
  RELAY_TRUSTED_PROXIES: rules.cidrList(),
  /** The egress proxy a waiting input's request goes through (as every delivery does). */
  EGRESS_PROXY_URL: rules.url(['http:']).default('http://localhost:9090'),
  RELAY_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1-100 of [A-Za-z0-9._-]').default(hostname()),
};

export interface RelayConfig {
  port: number;
  trustedProxies: string[];
  egressProxyUrl: string;
  kafka: KafkaConfig;
  secrets: SecretsConfig;
  telemetry: TelemetryConfig;
}

export function loadRelayConfig(env: Env): RelayConfig {
  const { own, kafka, secrets, telemetry } = loadSections({
    own: () => parseEnv(relayEnv, env),
    kafka: () => loadKafkaConfig(env, 'tidings-relay'),
    secrets: () => loadSecretsConfig(env),
    telemetry: () => loadTelemetryConfig(env, 'tidings-relay'),
  });
  return {
    port: own.RELAY_PORT,
    trustedProxies: own.RELAY_TRUSTED_PROXIES,
    egressProxyUrl: own.EGRESS_PROXY_URL,
    kafka: { ...kafka, clientId: `${kafka.clientId}.${own.RELAY_INSTANCE_ID}` },
    secrets,
    telemetry,
  };
}
