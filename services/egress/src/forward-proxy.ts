import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTP_HEADERS } from '@tidings/contracts';
import type { Logger } from '@tidings/telemetry';
import type { AddressPolicy } from './address-policy';
import type { EgressConfig } from './egress-config';
import type { HostResolver } from './host-resolver';
import { Refusal } from './refusal';
import type { UpstreamPools } from './upstream-pools';

/** Connection-scoped headers (RFC 9110 §7.6.1) and ours: never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  HTTP_HEADERS.egressTls,
]);

const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

interface Target {
  url: URL;
  tls: boolean;
  port: number;
}

interface Outcome {
  status: number;
  reasonCode?: number;
  address?: string;
  bytes?: number;
}

/**
 * The forward proxy: absolute-form HTTP requests, optionally upgraded to TLS by the proxy
 * itself (`X-Tidings-TLS: true`). It resolves the host once, refuses if any resolved address
 * is outside policy, dials only a checked address, never follows redirects, and buffers the
 * response up to the cap so that an oversized body becomes an explicit 502, never a cut.
 */
export class ForwardProxy {
  private server: Server | undefined;

  constructor(
    private readonly config: EgressConfig,
    private readonly policy: AddressPolicy,
    private readonly resolver: HostResolver,
    private readonly pools: UpstreamPools,
    private readonly logger: Logger,
  ) {}

  async listen(port: number, host = '0.0.0.0'): Promise<number> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    const server = this.server;
    this.server = undefined;
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.pools.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let outcome: Outcome = { status: 500 };
    let target: Target | undefined;
    try {
      target = this.parseTarget(req);
      const address = await this.checkedAddress(target);
      outcome = { ...(await this.forward(req, res, target, address)), address };
    } catch (error) {
      const refusal = error instanceof Refusal ? error : new Refusal('upstreamError', `proxy error: ${(error as Error).message}`);
      outcome = { status: refusal.status, reasonCode: refusal.code };
      if (!res.headersSent) {
        res.writeHead(refusal.status, {
          'content-type': 'text/plain; charset=utf-8',
          [HTTP_HEADERS.egressReason]: refusal.message,
          [HTTP_HEADERS.egressReasonCode]: String(refusal.code),
        });
      }
      res.end(refusal.message);
    } finally {
      // One JSON line per request; never bodies, headers or query strings (they may hold secrets).
      this.logger.info(
        {
          access: true,
          method: req.method,
          host: target?.url.hostname,
          port: target?.port,
          path: target?.url.pathname,
          tls: target?.tls,
          address: outcome.address,
          status: outcome.status,
          reasonCode: outcome.reasonCode,
          bytes: outcome.bytes,
          durationMs: Math.round(performance.now() - started),
        },
        'egress request',
      );
    }
  }

  /** Judges the URL the parser produced, never the raw request line. */
  private parseTarget(req: IncomingMessage): Target {
    const raw = req.url ?? '';
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) throw new Refusal('notAbsoluteForm', 'the proxy takes absolute-form requests (http://host/path)');
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new Refusal('notAbsoluteForm', 'the request target is not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Refusal('badScheme', `scheme ${url.protocol.replace(':', '')} is not allowed`);
    if (url.username || url.password) throw new Refusal('userinfo', 'URLs with userinfo are not allowed');
    const tls = url.protocol === 'https:' || req.headers[HTTP_HEADERS.egressTls] === 'true';
    const port = url.port ? Number(url.port) : tls ? 443 : 80;
    if (!this.config.allowedPorts.includes(port)) throw new Refusal('blockedPort', `port ${port} is not allowed`);
    return { url, tls, port };
  }

  private async checkedAddress(target: Target): Promise<string> {
    const addresses = await this.resolver.resolve(target.url.hostname);
    // One bad answer condemns the name: a mixed answer is how rebinding attacks start.
    for (const address of addresses) {
      const verdict = this.policy.judge(address);
      if (!verdict.allowed) throw new Refusal('blockedAddress', `IP ${address} is blocked (${verdict.range})`);
    }
    return addresses[0]!;
  }

  private async forward(req: IncomingMessage, res: ServerResponse, target: Target, address: string): Promise<Outcome> {
    const body = await readRequestBody(req);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name) && !name.startsWith('proxy-')) headers[name] = value;
    }
    const defaultPort = target.tls ? 443 : 80;
    headers.host = target.port === defaultPort ? target.url.hostname : `${target.url.hostname}:${target.port}`;

    const pool = this.pools.get({ address, port: target.port, tls: target.tls, hostname: target.url.hostname });
    let upstream;
    try {
      upstream = await pool.request({
        method: (req.method ?? 'GET') as 'POST',
        path: `${target.url.pathname}${target.url.search}`,
        headers,
        body: body.length > 0 ? body : undefined,
        signal: AbortSignal.timeout(this.config.timeouts.lifetimeMs),
      });
    } catch (error) {
      throw upstreamRefusal(error);
    }

    const declared = Number(upstream.headers['content-length'] ?? NaN);
    if (declared > this.config.maxResponseBytes) {
      discard(upstream.body);
      throw new Refusal('responseTooLarge', `response body of ${declared} bytes exceeds the ${this.config.maxResponseBytes}-byte cap`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of upstream.body) {
        size += (chunk as Buffer).length;
        if (size > this.config.maxResponseBytes) {
          discard(upstream.body);
          throw new Refusal('responseTooLarge', `response body exceeds the ${this.config.maxResponseBytes}-byte cap`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      throw error instanceof Refusal ? error : upstreamRefusal(error);
    }

    const responseHeaders: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(upstream.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'content-length') responseHeaders[name] = value;
    }
    const payload = Buffer.concat(chunks);
    responseHeaders['content-length'] = String(payload.length);
    res.writeHead(upstream.statusCode, responseHeaders);
    res.end(payload);
    return { status: upstream.statusCode, bytes: payload.length };
  }
}

async function readRequestBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) throw new Refusal('upstreamError', `request body exceeds ${MAX_REQUEST_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|TLS|SSL|EPROTO/;

/** Maps an undici or socket error to the refusal the client sees. */
function upstreamRefusal(error: unknown): Refusal {
  const e = error as NodeJS.ErrnoException & { name?: string; cause?: NodeJS.ErrnoException };
  const code = e.code ?? e.cause?.code ?? '';
  const detail = e.cause?.message ?? e.message;
  if (e.name === 'TimeoutError' || code === 'ABORT_ERR') return new Refusal('lifetimeExceeded', 'upstream exceeded the total lifetime limit');
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return new Refusal('connectTimeout', 'connecting to the upstream timed out');
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return new Refusal('readTimeout', 'the upstream stopped sending (idle read timeout)');
  if (TLS_CODES.test(code)) return new Refusal('tlsFailure', `TLS with the upstream failed: ${code}`);
  if (['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET'].includes(code)) return new Refusal('connectFailure', `upstream connection failed: ${code}`);
  return new Refusal('upstreamError', `upstream error: ${code || detail}`);
}

/** Drops an upstream body we refuse to pass on; its abort error is expected, not a fault. */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}
