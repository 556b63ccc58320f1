import { HTTP_HEADERS } from '@tidings/contracts';
import { Pool } from 'undici';

export interface DeliveryResponse {
  status: number;
  /** Set when the egress proxy itself refused or failed the request. */
  egressReasonCode: string | undefined;
  egressReason: string | undefined;
  /** The endpoint's `Retry-After`, in milliseconds, when it sent one (seconds or an HTTP date). */
  retryAfterMs: number | undefined;
}

export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Requests to the proxy at once; the pool's connections. */
const CONNECTIONS = 64;

/**
 * Sends requests through the egress proxy only, as absolute-form `http://` requests with
 * `X-Tidings-TLS: true`, so the proxy checks the address and originates TLS itself. One
 * keep-alive pool to the proxy serves every endpoint. Requests beyond its connections wait
 * here, before their time limit starts: the limit is the endpoint's to answer in, and time
 * spent queueing behind other endpoints is not its fault (counting it turned overload into
 * timeouts and needless retries).
 */
export class EgressClient {
  private readonly pool: Pool;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(proxyUrl: string) {
    this.pool = new Pool(proxyUrl, { connections: CONNECTIONS, keepAliveTimeout: 30_000, pipelining: 1 });
  }

  async post(endpointUrl: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<DeliveryResponse> {
    if (this.inFlight >= CONNECTIONS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.inFlight += 1;
    try {
      return await this.send(endpointUrl, body, headers, timeoutMs);
    } finally {
      // Hand the slot straight to the next waiter (inFlight stays), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.inFlight -= 1;
    }
  }

  private async send(endpointUrl: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<DeliveryResponse> {
    const target = new URL(endpointUrl);
    const tls = target.protocol === 'https:';
    target.protocol = 'http:';
    // The scheme switch would drop an implicit :443; keep the endpoint's real port explicit.
    if (!target.port) target.port = tls ? '443' : '80';
    const response = await this.pool.request({
      method: 'POST',
      path: target.toString(),
      headers: { ...headers, host: target.host, ...(tls ? { [HTTP_HEADERS.egressTls]: 'true' } : {}) },
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body.dump({ limit: 64 * 1024 });
    const header = (name: string) => {
      const v = response.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    return {
      status: response.statusCode,
      egressReasonCode: header(HTTP_HEADERS.egressReasonCode),
      egressReason: header(HTTP_HEADERS.egressReason),
      retryAfterMs: parseRetryAfter(header('retry-after')),
    };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
