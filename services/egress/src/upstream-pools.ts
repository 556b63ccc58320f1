import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Pool } from 'undici';
import type { EgressConfig } from './egress-config';

export interface UpstreamKey {
  /** The checked address the pool dials; never a hostname. */
  address: string;
  port: number;
  tls: boolean;
  /** The hostname the URL named: SNI and the certificate check use it. */
  hostname: string;
  /** The client certificate to present (mTLS), by name. */
  clientCert: string | undefined;
}

/**
 * Keep-alive connection pools, one per (checked address, port, TLS, hostname). Keying by the
 * address as well as the name means a pooled connection is only ever reused for an address
 * that passed the policy on this request.
 */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();
  private readonly ca: string[];
  private readonly clientCerts: Map<string, { cert: Buffer; key: Buffer }>;

  constructor(private readonly config: EgressConfig) {
    this.ca = [...rootCertificates, ...config.extraCaFiles.map((f) => readFileSync(f, 'utf8'))];
    this.clientCerts = new Map(config.clientCerts.map((c) => [c.name, { cert: readFileSync(c.certFile), key: readFileSync(c.keyFile) }]));
  }

  get(key: UpstreamKey): Pool {
    const id = `${key.tls ? 'https' : 'http'}|${key.address}|${key.port}|${key.hostname}|${key.clientCert ?? ''}`;
    let pool = this.pools.get(id);
    if (!pool) {
      const host = key.address.includes(':') ? `[${key.address}]` : key.address;
      const bareHostname = key.hostname.startsWith('[') ? key.hostname.slice(1, -1) : key.hostname;
      const isLiteral = bareHostname === key.address;
      pool = new Pool(`${key.tls ? 'https' : 'http'}://${host}:${key.port}`, {
        connections: 16,
        keepAliveTimeout: 30_000,
        headersTimeout: this.config.timeouts.readMs,
        bodyTimeout: this.config.timeouts.readMs,
        connect: {
          timeout: this.config.timeouts.connectMs,
          rejectUnauthorized: true,
          ca: this.ca,
          minVersion: 'TLSv1.2',
          // SNI and certificate identity come from the URL's hostname, not the dialled address.
          ...(isLiteral ? {} : { servername: bareHostname }),
          ...(key.clientCert ? this.clientCerts.get(key.clientCert) : {}),
        },
      });
      this.pools.set(id, pool);
    }
    return pool;
  }

  /** The configured client certificate names, the default first. */
  get clientCertNames(): string[] {
    return [...this.clientCerts.keys()];
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }
}
