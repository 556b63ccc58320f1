import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode, context, propagation, trace, type Span } from '@opentelemetry/api';
import { HTTP_HEADERS } from '@tidings/contracts';
import type { Logger } from '@tidings/telemetry';
import type { CheckedDestination, DestinationGuard } from './destination-guard';
import type { EgressConfig } from './egress-config';
import type { EgressMetrics } from './egress-metrics';
import { Refusal, type RefusalKind } from './refusal';
import { dialTcp } from './upstream-dialer';
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
  HTTP_HEADERS.egressClientCert,
  HTTP_HEADERS.egressTailnet,
]);

/**
 * The client's trace context is for the hop to this proxy: customer endpoints never see it. With
 * EGRESS_PROPAGATE_TRACE_CONTEXT they get the proxy's own upstream span instead.
 */
const TRACE_HEADERS = new Set(['traceparent', 'tracestate', 'baggage']);

const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

const tracer = trace.getTracer('tidings-egress');

interface Target {
  url: URL;
  tls: boolean;
  port: number;
}


/** What goes upstream: where (checked), with which client identity, and the request itself. */
interface OutgoingRequest {
  target: Target;
  destination: CheckedDestination;
  clientCert: string | undefined;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

interface Outcome {
  status: number;
  reason?: RefusalKind;
  reasonCode?: number;
  address?: string;
  bytes?: number;
}

/**
 * The forward proxy: absolute-form HTTP requests, optionally upgraded to TLS by the proxy
 * itself (`X-Tidings-TLS: true`), and CONNECT tunnels under the same checks. It resolves the
 * host once, refuses if any resolved address is outside policy, dials only a checked address,
 * never follows redirects, and buffers the response up to the cap so that an oversized body
 * becomes an explicit 502, never a cut.
 */
export class ForwardProxy {
  private server: Server | undefined;
  private readonly tunnels = new Set<Socket>();

  constructor(
    private readonly config: EgressConfig,
    private readonly guard: DestinationGuard,
    private readonly pools: UpstreamPools,
    private readonly metrics: EgressMetrics,
    private readonly logger: Logger,
  ) {}

  async listen(port: number, host = '0.0.0.0'): Promise<number> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => void this.tunnel(req, socket, head));
    this.server.on('connection', (socket: Socket) => {
      this.metrics.openConnections.inc();
      socket.once('close', () => this.metrics.openConnections.dec());
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** True from listen() until close() begins: what the egress' readiness reports. */
  get listening(): boolean {
    return this.server?.listening === true;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    const server = this.server;
    this.server = undefined;
    for (const socket of this.tunnels) socket.destroy();
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.pools.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let outcome: Outcome = { status: 500 };
    let target: Target | undefined;
    // The SERVER span the http instrumentation opened for this request.
    const serverSpan = trace.getActiveSpan();
    try {
      target = this.parseTarget(req);
      const clientCert = this.clientCertFor(req);
      const destination = await this.guard.check(target.url.hostname, target.port, tailnetOf(req));
      outcome = { ...(await this.forward(req, res, target, destination, clientCert)), address: destination.address };
    } catch (error) {
      const refusal = asRefusal(error);
      outcome = { status: refusal.status, reason: refusal.kind, reasonCode: refusal.code };
      serverSpan?.setAttributes({ 'tidings.egress.reason': refusal.kind, 'tidings.egress.reason_code': refusal.code });
      if (!res.headersSent) {
        res.writeHead(refusal.status, {
          'content-type': 'text/plain; charset=utf-8',
          [HTTP_HEADERS.egressReason]: refusal.message,
          [HTTP_HEADERS.egressReasonCode]: String(refusal.code),
        });
      }
      res.end(refusal.message);
    } finally {
      this.finish('http', started, outcome, { method: req.method, host: target?.url.hostname, port: target?.port, path: target?.url.pathname, tls: target?.tls });
    }
  }

  /** CONNECT host:port: the same guard, then bytes both ways; TLS is the client's business. */
  private async tunnel(req: IncomingMessage, client: Socket, head: Buffer): Promise<void> {
    const started = performance.now();
    let outcome: Outcome = { status: 500 };
    let hostname: string | undefined;
    let port: number | undefined;
    client.on('error', () => undefined);
    try {
      ({ hostname, port } = parseAuthority(req.url ?? ''));
      const { address, viaSocks5 } = await this.guard.check(hostname, port, tailnetOf(req));
      const upstream = await dialTcp(address, port, this.config.timeouts.connectMs, viaSocks5 ? this.config.socks5?.proxy : undefined);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      this.tunnels.add(client);
      // Idle and lifetime limits hold for tunnels too.
      upstream.setTimeout(this.config.timeouts.readMs, () => upstream.destroy());
      const lifetime = setTimeout(() => upstream.destroy(), this.config.timeouts.lifetimeMs).unref();
      upstream.on('error', () => client.destroy());
      upstream.once('close', () => {
        clearTimeout(lifetime);
        client.destroy();
        this.tunnels.delete(client);
      });
      client.once('close', () => upstream.destroy());
      client.pipe(upstream).pipe(client);
      outcome = { status: 200, address };
    } catch (error) {
      const refusal = asRefusal(error);
      outcome = { status: refusal.status, reason: refusal.kind, reasonCode: refusal.code };
      client.end(
        `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
          `${HTTP_HEADERS.egressReason}: ${refusal.message}\r\n${HTTP_HEADERS.egressReasonCode}: ${refusal.code}\r\nconnection: close\r\n\r\n${refusal.message}`,
      );
    } finally {
      this.finish('connect', started, outcome, { method: 'CONNECT', host: hostname, port });
    }
  }

  /** One JSON access line and the metrics; never bodies, headers or query strings. */
  private finish(kind: 'http' | 'connect', started: number, outcome: Outcome, request: Record<string, unknown>): void {
    const seconds = (performance.now() - started) / 1000;
    const result = outcome.reasonCode === undefined ? 'ok' : outcome.status === 403 || outcome.status === 400 ? 'refused' : 'failed';
    this.metrics.record(kind, result, seconds, outcome.reason === undefined ? undefined : { reason: outcome.reason, code: outcome.reasonCode! });
    this.logger.info(
      { access: true, ...request, address: outcome.address, status: outcome.status, reasonCode: outcome.reasonCode, bytes: outcome.bytes, durationMs: Math.round(seconds * 1000) },
      'egress request',
    );
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
    return { url, tls, port };
  }

  /** `X-Tidings-Client-Cert: <name>` picks an mTLS identity; without it, the first configured. */
  private clientCertFor(req: IncomingMessage): string | undefined {
    const asked = req.headers[HTTP_HEADERS.egressClientCert];
    const names = this.pools.clientCertNames;
    if (asked === undefined) return names[0];
    const name = Array.isArray(asked) ? asked[0] : asked;
    if (!name || !names.includes(name)) throw new Refusal('unknownClientCert', `no client certificate named ${JSON.stringify(name)}`);
    return name;
  }

  private async forward(req: IncomingMessage, res: ServerResponse, target: Target, destination: CheckedDestination, clientCert: string | undefined): Promise<Outcome> {
    const body = await readRequestBody(req);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name) && !TRACE_HEADERS.has(name) && !name.startsWith('proxy-')) headers[name] = value;
    }
    const defaultPort = target.tls ? 443 : 80;
    headers.host = target.port === defaultPort ? target.url.hostname : `${target.url.hostname}:${target.port}`;

    const span = startUpstreamSpan(req.method ?? 'GET', target, destination);
    if (this.config.propagateTraceContext) propagation.inject(trace.setSpan(context.active(), span), headers);
    try {
      const outcome = await this.exchange(req, res, { target, destination, clientCert, headers, body });
      span.setAttribute('http.response.status_code', outcome.status);
      if (outcome.status >= 400) {
        span.setAttribute('error.type', String(outcome.status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      return outcome;
    } catch (error) {
      const refusal = asRefusal(error);
      span.setAttribute('error.type', refusal.kind);
      span.setStatus({ code: SpanStatusCode.ERROR, message: refusal.message });
      throw error;
    } finally {
      span.end();
    }
  }

  /** The upstream request and its buffered response, relayed to the client. */
  private async exchange(req: IncomingMessage, res: ServerResponse, outgoing: OutgoingRequest): Promise<Outcome> {
    const { target, destination, clientCert, headers, body } = outgoing;
    const pool = this.pools.get({ ...destination, port: target.port, tls: target.tls, hostname: target.url.hostname, clientCert });
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

/**
 * A CLIENT span per the HTTP semantic conventions for the request to the customer endpoint. The
 * query string is redacted (endpoint URLs may carry tokens there); the peer is the address the
 * guard checked and the dialer used.
 */
function startUpstreamSpan(method: string, target: Target, destination: CheckedDestination): Span {
  const scheme = target.tls ? 'https' : 'http';
  return tracer.startSpan(method, {
    kind: SpanKind.CLIENT,
    attributes: {
      'http.request.method': method,
      'url.full': `${scheme}://${target.url.host}${target.url.pathname}${target.url.search ? '?REDACTED' : ''}`,
      'url.scheme': scheme,
      'server.address': target.url.hostname,
      'server.port': target.port,
      'network.peer.address': destination.address,
      'network.peer.port': target.port,
    },
  });
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

function asRefusal(error: unknown): Refusal {
  return error instanceof Refusal ? error : new Refusal('upstreamError', `proxy error: ${(error as Error).message}`);
}

/** `host:port` of a CONNECT request, with the host normalised by the URL parser. */
function parseAuthority(authority: string): { hostname: string; port: number } {
  if (!/^[^/?#@\s]+:\d{1,5}$/.test(authority)) throw new Refusal('notAbsoluteForm', 'CONNECT takes host:port');
  let url: URL;
  try {
    url = new URL(`http://${authority}`);
  } catch {
    throw new Refusal('notAbsoluteForm', 'CONNECT takes host:port');
  }
  const port = Number(url.port || 80);
  return { hostname: url.hostname, port };
}

/** Whose request: the tailnet its client names (only the publisher and the relay reach this port). */
function tailnetOf(req: IncomingMessage): string | undefined {
  const v = req.headers[HTTP_HEADERS.egressTailnet];
  return (Array.isArray(v) ? v[0] : v) || undefined;
}
