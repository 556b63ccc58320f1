import { verifyWebhook, WebhookReceiver, type ReceivedWebhook, type ReceiverAnswer, type TestCa } from '@tidings/testing';
import type { Random } from './random';

/**
 * How an endpoint behaves. `steady` answers at once, `slow` after a second or three, `flaky`
 * like steady but down (503) while a receiver-down fault holds it, `gone` answers 410 from
 * the start, `dying` goes down for good at some moment (its retries run out).
 */
export type EndpointKind = 'steady' | 'slow' | 'flaky' | 'gone' | 'dying';

export interface ChaosEndpoint {
  kind: EndpointKind;
  tailnet: string;
  path: string;
  host: string;
  endpointId: string;
  secret: string;
  standardWebhooksSecret: string;
  subscriptions: string[];
}

/** One request as the receiver saw it, with what the ledger needs. */
export interface Arrival {
  webhookId: string;
  body: string;
  eventIds: string[];
  status: number;
  signaturesValid: boolean;
}

/**
 * The customers' side: one HTTPS server on loopback (a certificate for every `*.chaos.test`
 * name) that answers each endpoint's path as its kind says and records every request.
 */
export class ReceiverFleet {
  readonly receiver: WebhookReceiver;
  readonly arrivals = new Map<string, Arrival[]>();
  private readonly endpoints = new Map<string, ChaosEndpoint>();
  /** Paths answering 503 now (flaky ones under a fault, dying ones for good). */
  private readonly down = new Set<string>();
  port = 0;

  constructor(
    ca: TestCa,
    private readonly random: Random,
  ) {
    this.receiver = new WebhookReceiver(ca);
    this.receiver.record = false;
  }

  async start(): Promise<void> {
    this.port = await this.receiver.start();
  }

  async stop(): Promise<void> {
    await this.receiver.stop();
  }

  add(endpoint: ChaosEndpoint): void {
    this.endpoints.set(endpoint.path, endpoint);
    this.arrivals.set(endpoint.path, []);
    this.receiver.answers.set(endpoint.path, (request) => this.answer(endpoint, request));
  }

  all(): ChaosEndpoint[] {
    return [...this.endpoints.values()];
  }

  setDown(path: string, down: boolean): void {
    if (down) this.down.add(path);
    else this.down.delete(path);
  }

  private answer(endpoint: ChaosEndpoint, request: Omit<ReceivedWebhook, 'status'>): ReceiverAnswer {
    const status = endpoint.kind === 'gone' ? 410 : this.down.has(endpoint.path) ? 503 : 200;
    const verified = verifyWebhook({ ...request, status }, endpoint.secret, endpoint.standardWebhooksSecret);
    const webhookId = String(request.headers['webhook-id'] ?? '');
    const eventIds = verified.events.map((e) => (e as { id?: string }).id ?? '');
    this.arrivals.get(endpoint.path)!.push({ webhookId, body: request.body, eventIds, status, signaturesValid: verified.tailscaleSignatureValid && verified.standardSignatureValid });
    return endpoint.kind === 'slow' && status === 200 ? { status, delayMs: this.random.between(1_000, 3_000) } : { status };
  }
}
