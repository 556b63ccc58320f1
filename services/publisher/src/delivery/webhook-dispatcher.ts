import { TIDINGS_VERSION, type Logger } from '@tidings/telemetry';
import type { WebhookEvent } from '@tidings/contracts';
import { signatureHeaders } from '@tidings/webhook-signing';
import type { DeliveryResponse, EgressClient } from './egress-client';
import type { DeliveryKind, PublisherMetrics } from './publisher-metrics';

/** Where a batch goes and the secrets (in clear, in memory only) that sign it. */
export interface DeliveryTarget {
  endpointId: string;
  endpointUrl: string;
  secrets: string[];
}

/** A batch as it goes on the wire: its id and body never change across retries. */
export interface Batch {
  id: string;
  kind: DeliveryKind;
  target: DeliveryTarget;
  events: WebhookEvent[];
}

export class DeliveryFailed extends Error {
  constructor(
    readonly batchId: string,
    readonly response: DeliveryResponse | undefined,
    reason: string,
  ) {
    super(reason);
  }
}

/** Signs a batch with every secret of its target and POSTs it through the egress. */
export class WebhookDispatcher {
  constructor(
    private readonly egress: EgressClient,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly metrics: PublisherMetrics,
  ) {}

  async dispatch(batch: Batch): Promise<DeliveryResponse> {
    const body = JSON.stringify(batch.events);
    const headers = {
      'content-type': 'application/json',
      'user-agent': `Tidings/${TIDINGS_VERSION}`,
      ...signatureHeaders({ id: batch.id, timestamp: Math.floor(Date.now() / 1000), body, secrets: batch.target.secrets }),
    };
    let response: DeliveryResponse;
    const started = performance.now();
    const elapsedMs = () => performance.now() - started;
    try {
      response = await this.egress.post(batch.target.endpointUrl, body, headers, this.timeoutMs);
    } catch (error) {
      this.metrics.attempt(batch.kind, false, elapsedMs() / 1000, []);
      throw new DeliveryFailed(batch.id, undefined, `request failed: ${(error as Error).message}`);
    }
    const latencyMs = elapsedMs();
    const delivered = response.status >= 200 && response.status < 300;
    this.metrics.attempt(batch.kind, delivered, latencyMs / 1000, batch.events.map((e) => e.timestamp));
    const log = { endpointId: batch.target.endpointId, batchId: batch.id, events: batch.events.length, status: response.status, latencyMs: Math.round(latencyMs) };
    if (delivered) {
      this.logger.info(log, 'webhook delivered');
      return response;
    }
    const reason = response.egressReasonCode
      ? `egress refused (${response.egressReasonCode}): ${response.egressReason ?? ''}`
      : `endpoint answered ${response.status}`;
    this.logger.warn({ ...log, reason }, 'webhook delivery failed');
    throw new DeliveryFailed(batch.id, response, reason);
  }
}
