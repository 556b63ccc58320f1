import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { verifyStandardWebhook, verifyTailscaleSignature } from '@tidings/webhook-signing';
import type { TestCa } from './test-ca';

export interface ReceivedWebhook {
  receivedAt: Date;
  /** The address the request came from (in a cluster: the egress pod's). */
  remoteAddress?: string;
  method: string;
  /** The request target: path and query. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body's bytes, as they came. */
  rawBody: Buffer;
  /** What the receiver answered. */
  status: number;
}

/** How to answer a request to a path: a status, headers (e.g. Retry-After), and when. */
export interface ReceiverAnswer {
  status: number;
  headers?: Record<string, string>;
  /** Answer this much later (a slow endpoint); the request is recorded when it arrives. */
  delayMs?: number;
}

export interface VerifiedWebhook extends ReceivedWebhook {
  events: unknown[];
  tailscaleSignatureValid: boolean;
  standardSignatureValid: boolean;
}

/**
 * An HTTPS endpoint on loopback, with a certificate from a test CA, that records what it
 * receives and checks both signature schemes the way a customer would.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private server: Server | undefined;
  /** Status code to answer with (tests flip it to simulate failing endpoints). */
  status = 200;
  /** Keep every request in `received`; a benchmark turns it off and reads them as they come. */
  record = true;
  /** Per-path answers, ahead of `status`: a fixed answer, or one decided per request. */
  readonly answers = new Map<string, ReceiverAnswer | ((w: Omit<ReceivedWebhook, 'status'>) => ReceiverAnswer)>();
  private listeners: ((w: ReceivedWebhook) => void)[] = [];

  constructor(private readonly ca: TestCa) {}

  async start(port = 0, host = '127.0.0.1'): Promise<number> {
    this.server = createServer({ cert: readFileSync(this.ca.certFile), key: readFileSync(this.ca.keyFile) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks);
        const request = { receivedAt: new Date(), remoteAddress: req.socket.remoteAddress, method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: rawBody.toString('utf8'), rawBody };
        const rule = this.answers.get(request.path);
        const answer = typeof rule === 'function' ? rule(request) : (rule ?? { status: this.status });
        const webhook = { ...request, status: answer.status };
        if (this.record) this.received.push(webhook);
        for (const l of this.listeners) l(webhook);
        const respond = () => res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end('{"ok":true}');
        if (answer.delayMs) setTimeout(respond, answer.delayMs);
        else respond();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  onWebhook(listener: (w: ReceivedWebhook) => void): void {
    this.listeners.push(listener);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Checks a received webhook against the endpoint's secret (both schemes) and parses its body. */
export function verifyWebhook(webhook: ReceivedWebhook, secret: string, standardWebhooksSecret: string): VerifiedWebhook {
  const header = webhook.headers['tailscale-webhook-signature'];
  let events: unknown[] = [];
  try {
    const parsed: unknown = JSON.parse(webhook.body);
    events = Array.isArray(parsed) ? parsed : [];
  } catch {
    events = [];
  }
  return {
    ...webhook,
    events,
    tailscaleSignatureValid: verifyTailscaleSignature(Array.isArray(header) ? header[0] : header, webhook.body, secret),
    standardSignatureValid: verifyStandardWebhook(webhook.headers, webhook.body, standardWebhooksSecret),
  };
}
