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
  /** Optional upstream SOCKS5 proxy (host:port), only for the ranges in EGRESS_SOCKS5_CIDRS. */
  EGRESS_SOCKS5_PROXY: rules.optionalHostPortList(),
  EGRESS_SOCKS5_CIDRS: rules.cidrList(),
  EGRESS_TAILNET_CIDRS: rules.tailnetCidrs(),
  EGRESS_CONNECT_TIMEOUT_MS: rules.positiveInt(10_000, 'milliseconds'),
  EGRESS_READ_TIMEOUT_MS: rules.positiveInt(10_000, 'milliseconds'),
  EGRESS_LIFETIME_MS: rules.positiveInt(60_000, 'milliseconds'),
  EGRESS_MAX_RESPONSE_BYTES: rules.positiveInt(1_048_576, 'bytes'),
  EGRESS_PROPAGATE_TRACE_CONTEXT: rules.boolean(false),
};

export interface EgressConfig {
  telemetry: TelemetryConfig;
  port: number;
  adminPort: number;
  allowCidrs: string[];
  denyCidrs: string[];
  /** Ranges each open to one tailnet only (whose requests name it in X-Tidings-Tailnet). */
  tailnetCidrs: Record<string, string[]>;
  allowedPorts: number[];
  /** host:port of DNS servers; empty: the system resolver (getaddrinfo). */
  dnsServers: string[];
  extraCaFiles: string[];
  /** mTLS identities, named by their certificate file's base name; the first is the default. */
  clientCerts: { name: string; certFile: string; keyFile: string }[];
  /**
   * Destinations an operator explicitly routes through a SOCKS5 proxy (a tailnet range behind
   * a Tailscale userspace proxy, say): allowed, and dialled only through it. Off when unset.
   */
  socks5: { proxy: { host: string; port: number }; cidrs: string[] } | undefined;
  timeouts: { connectMs: number; readMs: number; lifetimeMs: number };
  maxResponseBytes: number;
  /** Send W3C trace context (the egress' upstream span) to customer endpoints; off by default. */
  propagateTraceContext: boolean;
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
    tailnetCidrs: v.EGRESS_TAILNET_CIDRS,
    allowedPorts: v.EGRESS_ALLOWED_PORTS,
    dnsServers: v.EGRESS_DNS_SERVERS,
    extraCaFiles: v.EGRESS_EXTRA_CA_FILE,
    clientCerts: v.EGRESS_CLIENT_CERT_FILE.map((certFile, i) => ({ name: basename(certFile).replace(/\.[^.]*$/, ''), certFile, keyFile: v.EGRESS_CLIENT_KEY_FILE[i]! })),
    socks5: socks5Route(v.EGRESS_SOCKS5_PROXY, v.EGRESS_SOCKS5_CIDRS),
    timeouts: { connectMs: v.EGRESS_CONNECT_TIMEOUT_MS, readMs: v.EGRESS_READ_TIMEOUT_MS, lifetimeMs: v.EGRESS_LIFETIME_MS },
    maxResponseBytes: v.EGRESS_MAX_RESPONSE_BYTES,
    propagateTraceContext: v.EGRESS_PROPAGATE_TRACE_CONTEXT,
  };
}

function socks5Route(proxies: string[], cidrs: string[]): EgressConfig['socks5'] {
  if (proxies.length === 0 && cidrs.length === 0) return undefined;
  if (proxies.length !== 1 || cidrs.length === 0) {
    throw new ConfigError([{ variable: 'EGRESS_SOCKS5_PROXY', rule: 'must be one host:port, set together with EGRESS_SOCKS5_CIDRS' }]);
  }
  const [, host = '', port = ''] = /^\[?(.+?)\]?:(\d+)$/.exec(proxies[0]!) ?? [];
  return { proxy: { host, port: Number(port) }, cidrs };
}
