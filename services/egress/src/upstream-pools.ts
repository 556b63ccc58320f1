import { readFileSync } from 'node:fs';
import { connect as tlsConnect, rootCertificates, type ConnectionOptions } from 'node:tls';
import { Pool, type buildConnector } from 'undici';
import type { EgressConfig } from './egress-config';
import { dialTcp, type Socks5Proxy } from './upstream-dialer';

export interface UpstreamKey {
  /** The checked address the pool dials; never a hostname. */
  address: string;
  port: number;
  tls: boolean;
  /** The hostname the URL named: SNI and the certificate check use it. */
  hostname: string;
  /** The client certificate to present (mTLS), by name. */
  clientCert: string | undefined;
  /** Dial through the operator's SOCKS5 route. */
  viaSocks5: boolean;
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
    const id = `${key.tls ? 'https' : 'http'}|${key.address}|${key.port}|${key.hostname}|${key.clientCert ?? ''}|${key.viaSocks5 ? 'socks5' : 'direct'}`;
    let pool = this.pools.get(id);
    if (!pool) {
      const host = key.address.includes(':') ? `[${key.address}]` : key.address;
      const bareHostname = key.hostname.startsWith('[') ? key.hostname.slice(1, -1) : key.hostname;
      const isLiteral = bareHostname === key.address;
      const tlsOptions = {
        rejectUnauthorized: true,
        ca: this.ca,
        minVersion: 'TLSv1.2' as const,
        // SNI and certificate identity come from the URL's hostname, not the dialled address.
        ...(isLiteral ? {} : { servername: bareHostname }),
        ...(key.clientCert ? this.clientCerts.get(key.clientCert) : {}),
      };
      const socks5 = key.viaSocks5 ? this.config.socks5?.proxy : undefined;
      pool = new Pool(`${key.tls ? 'https' : 'http'}://${host}:${key.port}`, {
        connections: 16,
        keepAliveTimeout: 30_000,
        headersTimeout: this.config.timeouts.readMs,
        bodyTimeout: this.config.timeouts.readMs,
        connect: socks5 ? this.socksConnector(key, socks5, tlsOptions) : { timeout: this.config.timeouts.connectMs, ...tlsOptions },
      });
      this.pools.set(id, pool);
    }
    return pool;
  }

  /** undici's connect hook for the SOCKS5 route: the tunnel first, then TLS over it. */
  private socksConnector(key: UpstreamKey, socks5: Socks5Proxy, tlsOptions: ConnectionOptions): buildConnector.connector {
    return (_options, callback) => {
      dialTcp(key.address, key.port, this.config.timeouts.connectMs, socks5).then(
        (socket) => {
          if (!key.tls) return callback(null, socket);
          const secure = tlsConnect({ ...tlsOptions, socket });
          secure.once('secureConnect', () => callback(null, secure));
          secure.once('error', (error) => callback(error, null));
        },
        (error: Error) => callback(error, null),
      );
    };
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
