import type { ProviderType } from '@tidings/contracts';
/**
 * The words the whole publisher speaks in: what a delivery is for, where it goes, and what an
 * attempt came to. They live apart from the dispatcher and the metrics, which both use them, so
 * neither has to import the other.
 */

/** Payloads carry subscribed events; notices (final and test events) are served first. */
export type DeliveryKind = 'payload' | 'notice';

/** Where a batch goes and the secrets (in clear, in memory only) that sign it. */
export interface DeliveryTarget {
  endpointId: string;
  /** Whose delivery it is: the egress opens the ranges granted to a tailnet to its requests alone. */
  tailnet: string;
  endpointUrl: string;
  /** The body format: native, or a chat provider's. */
  provider: ProviderType;
  secrets: string[];
  /** An inbound relay output: each event is a sealed request, sent on as it came, unsigned. */
  relay?: boolean;
}

/**
 * What one attempt came to, per PRODUCT: a 2xx within the timeout delivers; 410 Gone stops
 * the endpoint at once; anything else (3xx included: redirects are never followed, 4xx, 5xx,
 * a timeout, an egress refusal) fails and is retried on the schedule.
 */
export type AttemptOutcome = (
  | { outcome: 'delivered'; status: number; latencyMs: number }
  | { outcome: 'gone'; status: 410; latencyMs: number; reason: string }
  | { outcome: 'failed'; status: number | null; latencyMs: number; reason: string; retryAfterMs: number | undefined }
) & {
  /** The headers of the attempt's first request, as sent (the deliveries API shows them). */
  sentHeaders?: Record<string, string>;
};
