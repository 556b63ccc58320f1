import { SpanStatusCode, trace } from '@opentelemetry/api';
import { deliveryRequests, type ChatRequest } from '@tidings/chat-formats';
import { HTTP_HEADERS, type DeliveryBatch } from '@tidings/contracts';
import { TIDINGS_VERSION, type Logger } from '@tidings/telemetry';
import { signatureHeaders } from '@tidings/webhook-signing';
import type { EgressClient, EgressSlot } from './egress-client';
import type { AttemptOutcome, DeliveryKind, DeliveryTarget } from './delivery-terms';
import type { PublisherMetrics } from './publisher-metrics';
import type { OutgoingRequest, RelayedRequests } from './relayed-requests';

const tracer = trace.getTracer('tidings-publisher');

const priorityOf = (kind: DeliveryKind) => (kind === 'notice' ? 'urgent' : 'normal');

/**
 * Signs a batch with every secret of its target and POSTs it through the egress, inside a
 * `delivery attempt` span: the HTTP client span (and the egress' spans) hang under it. A
 * caller reserves a connection first (`reserve`), so it can decide what to send once it has one,
 * and releases it: DeliverBatch is that caller.
 */
export class WebhookDispatcher {
  constructor(
    private readonly egress: EgressClient,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly metrics: PublisherMetrics,
    private readonly relayed: RelayedRequests,
  ) {}

  /** A connection to the egress; notices (final and test events) are served before payloads. */
  reserve(kind: DeliveryKind): Promise<EgressSlot> {
    return this.egress.reserve(priorityOf(kind));
  }

  /** `reserve` without a promise: `take` is called with the slot. */
  whenReserved(kind: DeliveryKind, take: (slot: EgressSlot) => void): void {
    this.egress.whenReserved(priorityOf(kind), take);
  }

  /** At least a round of waiters: as many requests queued for a connection as there are connections. */
  get backlogged(): boolean {
    return this.egress.slots.waiting >= this.egress.slots.capacity;
  }

  /** Sends with `slot`; the caller (DeliverBatch) gives it back. */
  dispatch(slot: EgressSlot, kind: DeliveryKind, target: DeliveryTarget, batch: DeliveryBatch, attempt: number): Promise<AttemptOutcome> {
    const attributes = { 'tidings.endpoint.id': target.endpointId, 'tidings.batch.id': batch.id, 'tidings.attempt': attempt, 'tidings.delivery.kind': kind, 'tidings.batch.event_count': batch.events.length };
    return tracer.startActiveSpan('delivery attempt', { attributes }, async (span) => {
      try {
        const result = await this.attempt(slot, kind, target, batch, attempt);
        span.setAttribute('tidings.delivery.outcome', result.outcome);
        if (result.status !== null) span.setAttribute('http.response.status_code', result.status);
        if (result.outcome !== 'delivered') span.setStatus({ code: SpanStatusCode.ERROR, message: result.reason });
        return result;
      } finally {
        span.end();
      }
    });
  }

  /**
   * One attempt: the batch as the endpoint takes it (the JSON array, or a chat provider's
   * messages, posted in order), each request signed under the batch id. The first request
   * that does not deliver ends the attempt; a retry sends every message again.
   */
  private async attempt(slot: EgressSlot, kind: DeliveryKind, target: DeliveryTarget, batch: DeliveryBatch, attempt: number): Promise<AttemptOutcome> {
    const requests = await this.requests(target, batch);
    const started = performance.now();
    let result: AttemptOutcome;
    if ('unreadable' in requests) {
      result = { outcome: 'failed', status: null, latencyMs: 0, reason: requests.unreadable, retryAfterMs: undefined };
    } else {
      result = { outcome: 'delivered', status: 200, latencyMs: 0 };
      for (const request of requests) {
        result = await this.post(slot, request, target.tailnet);
        if (result.outcome !== 'delivered') break;
      }
      // What a relayed request said is its sender's, kept sealed: its headers are not recorded.
      if (!target.relay) result.sentHeaders = requests[0]?.headers;
    }
    result.latencyMs = performance.now() - started;
    this.metrics.attempt(kind, attempt, result, batch.events);
    const log = { endpointId: target.endpointId, batchId: batch.id, attempt, events: batch.events.length, status: result.status, latencyMs: Math.round(result.latencyMs) };
    if (result.outcome === 'delivered') this.logger.info(log, 'webhook delivered');
    else this.logger.warn({ ...log, reason: result.reason }, 'webhook delivery failed');
    return result;
  }

  /** The attempt's requests: the batch as the endpoint takes it, signed; or a relay output's requests as they came. */
  private async requests(target: DeliveryTarget, batch: DeliveryBatch): Promise<OutgoingRequest[] | { unreadable: string }> {
    if (target.relay) return this.relayed.requests(target.endpointUrl, batch.events);
    return deliveryRequests(target.provider, batch.events).map((request) => ({ url: target.endpointUrl, method: 'POST', body: request.body, headers: requestHeaders(target, batch.id, request) }));
  }

  /** `tailnet`: for the egress only (it strips it), which opens a tailnet's granted ranges to its deliveries alone. */
  private async post(slot: EgressSlot, request: OutgoingRequest, tailnet: string): Promise<AttemptOutcome> {
    const started = performance.now();
    try {
      const response = await slot.post(request.url, request.body, { ...request.headers, [HTTP_HEADERS.egressTailnet]: tailnet }, this.timeoutMs, request.method);
      const latencyMs = performance.now() - started;
      if (response.status >= 200 && response.status < 300) return { outcome: 'delivered', status: response.status, latencyMs };
      if (response.status === 410) return { outcome: 'gone', status: 410, latencyMs, reason: 'the endpoint answered 410 Gone' };
      const reason = response.egressReasonCode
        ? `egress refused (${response.egressReasonCode}): ${response.egressReason ?? 'no reason given'}`
        : response.status >= 300 && response.status < 400
          ? `the endpoint answered ${response.status}; redirects are not followed`
          : `the endpoint answered ${response.status}`;
      // An egress refusal is not the endpoint's answer: record no status for it.
      return { outcome: 'failed', status: response.egressReasonCode ? null : response.status, latencyMs, reason, retryAfterMs: response.retryAfterMs };
    } catch (error) {
      const latencyMs = performance.now() - started;
      const timedOut = (error as Error).name === 'TimeoutError' || (error as { code?: string }).code?.startsWith('UND_ERR_') === true && latencyMs >= this.timeoutMs;
      const reason = timedOut ? `no answer within ${this.timeoutMs} ms` : `request failed: ${(error as Error).message}`;
      return { outcome: 'failed', status: null, latencyMs, reason, retryAfterMs: undefined };
    }
  }
}

/** A request's headers: the provider's, ours, and the signatures of its body under the batch id. */
function requestHeaders(target: DeliveryTarget, batchId: string, request: ChatRequest): Record<string, string> {
  return {
    ...request.headers,
    'content-type': request.contentType,
    'user-agent': `Tidings/${TIDINGS_VERSION}`,
    ...signatureHeaders({ id: batchId, timestamp: Math.floor(Date.now() / 1000), body: request.body, secrets: target.secrets }),
  };
}
