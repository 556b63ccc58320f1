import { basename } from 'node:path';
import { ConfigError, loadSections, loadTelemetryConfig, parseEnv, rules, type Env, type TelemetryConfig } from '@tidings/config';

const egressEnv = {
  EGRESS_PORT: rules.port(9090),
  EGRESS_ADMIN_PORT: rules.port(9091),
  EGRESS_ALLOW_CIDRS: rules.cidrList(),
  EGRESS_DENY_CIDRS: rules.cidrList(),
  EGRESS_ALLOWED_PORTS: rules.portList('443,80'),
  EGRESS_DNS_SERVERS: rules.optionalHostPortList(),
  EGRESS_EXTRA_CA_FILE: rules.fileList(),
  EGRESS_CLIENT_CERT_FILE: rules.fileList(),
  EGRESS_CLIENT_KEY_FILE: rules.fileList(),
  EGRESS_CONNECT_TIMEOUT_MS: rules.positiveInt(10_000, 'milliseconds'),
  EGRESS_READ_TIMEOUT_MS: rules.positiveInt(10_000, 'milliseconds'),
  EGRESS_LIFETIME_MS: rules.positiveInt(60_000, 'milliseconds'),
  EGRESS_MAX_RESPONSE_BYTES: rules.positiveInt(1_048_576, 'bytes'),
};

export interface EgressConfig {
  telemetry: TelemetryConfig;
  port: number;
  adminPort: number;
  allowCidrs: string[];
  denyCidrs: string[];
  allowedPorts: number[];
  /** host:port of DNS servers; empty: the system resolver (getaddrinfo). */
  dnsServers: string[];
  extraCaFiles: string[];
  /** mTLS identities, named by their certificate file's base name; the first is the default. */
  clientCerts: { name: string; certFile: string; keyFile: string }[];
  timeouts: { connectMs: number; readMs: number; lifetimeMs: number };
  maxResponseBytes: number;
}

export function loadEgressConfig(env: Env): EgressConfig {
  const { own: v, telemetry } = loadSections({ own: () => parseEnv(egressEnv, env), telemetry: () => loadTelemetryConfig(env, 'tidings-egress') });
  if (v.EGRESS_CLIENT_CERT_FILE.length !== v.EGRESS_CLIENT_KEY_FILE.length) {
    throw new ConfigError([{ variable: 'EGRESS_CLIENT_KEY_FILE', rule: 'must list one key file per file in EGRESS_CLIENT_CERT_FILE, in the same order' }]);
  }
  return {
    telemetry,
    port: v.EGRESS_PORT,
    adminPort: v.EGRESS_ADMIN_PORT,
    allowCidrs: v.EGRESS_ALLOW_CIDRS,
    denyCidrs: v.EGRESS_DENY_CIDRS,
    allowedPorts: v.EGRESS_ALLOWED_PORTS,
    dnsServers: v.EGRESS_DNS_SERVERS,
    extraCaFiles: v.EGRESS_EXTRA_CA_FILE,
    clientCerts: v.EGRESS_CLIENT_CERT_FILE.map((certFile, i) => ({ name: basename(certFile).replace(/\.[^.]*$/, ''), certFile, keyFile: v.EGRESS_CLIENT_KEY_FILE[i]! })),
    timeouts: { connectMs: v.EGRESS_CONNECT_TIMEOUT_MS, readMs: v.EGRESS_READ_TIMEOUT_MS, lifetimeMs: v.EGRESS_LIFETIME_MS },
    maxResponseBytes: v.EGRESS_MAX_RESPONSE_BYTES,
  };
}
