import { egressRequestTarget, HTTP_HEADERS } from '@tidings/contracts';
import { Pool } from 'undici';
import { SendSlots, type ReleaseSlot, type SendPriority } from './send-slots';

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

/** A connection to the egress that closed or reset before any answer came. */
const BROKEN_HOP = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/**
 * How long a refused connection to the egress is retried before the attempt counts: in a
 * rolling restart its Service can have no ready pod for a moment, and a refused connection
 * means the request never left, so waiting cannot duplicate it. Counted as the endpoint's
 * failure instead, it held the endpoint for the first retry interval (1 h by default), and the
 * Kubernetes roll test lost 20 of 176 events to it in CI.
 */
const REFUSED_WAIT_MS = 30_000;
/**
 * Connections to the egress that never opened: refused, or unanswered until the connect timeout
 * (a Service address still routed to a pod that just went away: the roll test lost 87 of 123
 * events to one). Either way the request never left.
 */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT']);
const REFUSED_BACKOFF_MS = [100, 250, 500, 1_000, 2_000];

const errorCode = (error: unknown): string => (error as { code?: string }).code ?? '';

/**
 * One of the pool's connections, reserved: post with it one request at a time (a chat batch
 * split into several messages posts them in turn); release it either way, after the posts or unused.
 */
export interface EgressSlot {
  /** `method`: POST, but for a relayed request, which goes on with its own. */
  post(endpointUrl: string, body: string | Buffer, headers: Record<string, string>, timeoutMs: number, method?: string): Promise<DeliveryResponse>;
  release(): void;
}

/**
 * Sends requests through the egress proxy only, as absolute-form `http://` requests with
 * `X-Tidings-TLS: true`, so the proxy checks the address and originates TLS itself. One
 * keep-alive pool to the proxy serves every endpoint. A request first reserves one of the
 * pool's connections and only then starts its time limit: the limit is the endpoint's to
 * answer in, and time spent queueing behind other endpoints is not its fault (counting it
 * turned overload into timeouts and needless retries). Reserving before a batch is formed lets
 * the batch take what arrived while it waited.
 */
export class EgressClient {
  private readonly pool: Pool;
  readonly slots: SendSlots;

  constructor(
    proxyUrl: string,
    connections: number,
    private readonly refusedWaitMs = REFUSED_WAIT_MS,
  ) {
    this.slots = new SendSlots(connections);
    this.pool = new Pool(proxyUrl, { connections, keepAliveTimeout: 30_000, pipelining: 1 });
  }

  reserve(priority: SendPriority): Promise<EgressSlot> {
    return new Promise((resolve) => this.whenReserved(priority, resolve));
  }

  /** `reserve` for callers that wait by the thousand: nothing but `take` is held while waiting. */
  whenReserved(priority: SendPriority, take: (slot: EgressSlot) => void): void {
    this.slots.whenFree(priority, (release) => take(this.slot(release)));
  }

  private slot(release: ReleaseSlot): EgressSlot {
    let busy = false;
    let released = false;
    return {
      post: async (endpointUrl, body, headers, timeoutMs, method = 'POST') => {
        if (released) throw new Error('an egress slot sends nothing once released');
        if (busy) throw new Error('an egress slot sends one request at a time');
        busy = true;
        try {
          return await this.send(endpointUrl, body, headers, timeoutMs, method);
        } finally {
          busy = false;
        }
      },
      release: () => {
        if (released) return;
        released = true;
        release();
      },
    };
  }

  /**
   * A connection to the egress that breaks before any answer (a keep-alive socket the proxy
   * closed as it stopped, in a rolling restart) is our hop failing, not the endpoint: the
   * request is sent once more, on a fresh connection, before it counts as an attempt. At most
   * once, so a proxy that is really down still fails fast. At-least-once allows the rare
   * duplicate (same webhook-id) when the proxy had already passed the request on.
   */
  private async send(endpointUrl: string, body: string | Buffer, headers: Record<string, string>, timeoutMs: number, method: string): Promise<DeliveryResponse> {
    try {
      return await this.sendWhileRefused(endpointUrl, body, headers, timeoutMs, method);
    } catch (error) {
      if (!BROKEN_HOP.has(errorCode(error))) throw error;
      return this.sendWhileRefused(endpointUrl, body, headers, timeoutMs, method);
    }
  }

  /** Sends, waiting (with backoff, up to `refusedWaitMs`) while connections to the egress do not open. */
  private async sendWhileRefused(endpointUrl: string, body: string | Buffer, headers: Record<string, string>, timeoutMs: number, method: string): Promise<DeliveryResponse> {
    const deadline = Date.now() + this.refusedWaitMs;
    for (let retry = 0; ; retry++) {
      try {
        return await this.sendOnce(endpointUrl, body, headers, timeoutMs, method);
      } catch (error) {
        const pause = REFUSED_BACKOFF_MS[Math.min(retry, REFUSED_BACKOFF_MS.length - 1)]!;
        if (!NEVER_CONNECTED.has(errorCode(error)) || Date.now() + pause > deadline) throw error;
        await new Promise((r) => setTimeout(r, pause));
      }
    }
  }

  private async sendOnce(endpointUrl: string, body: string | Buffer, headers: Record<string, string>, timeoutMs: number, method: string): Promise<DeliveryResponse> {
    const target = egressRequestTarget(endpointUrl);
    const response = await this.pool.request({
      method: method as 'POST',
      path: target.path,
      headers: { ...headers, ...target.headers },
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
