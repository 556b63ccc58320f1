import type { DeadLetterCause } from './delivery-records';
import type { RateLimit } from './rate-limit';

/**
 * The objects the management API answers with, as types only: the subscriptions service builds
 * them and the console reads them, so both compile against one definition. No runtime imports:
 * the console bundles what `browser.ts` exports.
 */

/** `failing`: enabled, and its most recent delivery attempt failed. */
export type EndpointStatus = 'enabled' | 'failing' | 'disabled';

/** The webhook object of the API (Tailscale's fields, then ours). */
export interface WebhookView {
  endpointId: string;
  endpointUrl: string;
  /** The provider in force: the one asked for, else the one the URL's host names. */
  providerType: string;
  /** The rate limit in force: its own, else its provider's default; null: none. */
  rateLimit: RateLimit | null;
  creatorLoginName: string;
  created: string;
  lastModified: string;
  subscriptions: string[];
  status: EndpointStatus;
  disabledReason: string | null;
  secret?: string;
  standardWebhooksSecret?: string;
}

/**
 * What became of a batch: `delivered`; `retrying` (the last attempt failed, another is due);
 * `failed` (the last attempt failed, none is due, and it is not, or not yet, dead-lettered);
 * `deadLettered` (Tidings stopped trying; attempts made after a replay count again).
 */
export type DeliveryState = 'delivered' | 'retrying' | 'failed' | 'deadLettered';

export interface AttemptView {
  attempt: number;
  outcome: 'delivered' | 'failed';
  status: number | null;
  reason: string | null;
  latencyMs: number;
  attemptedAt: string;
  nextAttemptAt: string | null;
}

export interface DeadLetterView {
  cause: DeadLetterCause;
  reason: string;
  deadLetteredAt: string;
  replayedAt: string | null;
}

/**
 * What a batch's first attempt sent: its events, and the headers of its first request (the
 * signatures included: they prove a body, they reveal no secret). Recorded once per batch.
 */
export interface DeliveryRequestView {
  headers: Record<string, string>;
  events: { id: string; timestamp: string; version: number; type: string; tailnet: string; message: string; data: Record<string, string> }[];
}

/** A delivery of the API: one batch, its attempts in order, and its dead letter if any. */
export interface DeliveryView {
  batchId: string;
  state: DeliveryState;
  eventIds: string[];
  attempts: AttemptView[];
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  deadLetter: DeadLetterView | null;
  /** Only when one delivery is read; null when it was not recorded (dead-lettered unsent, or before it was kept). */
  request?: DeliveryRequestView | null;
}

/** An inbound relay input: its public path on the relay, and where what it accepts goes. */
export interface RelayInputView {
  inputId: string;
  bucketId: string;
  /** `/in/{inputId}` on the relay's public address. */
  path: string;
  methods: string[];
  bodyLimitBytes: number;
  rateLimit: { requests: number; perSeconds: number } | null;
  /** Set: the relay answers with the one output's own answer if it comes within this many ms. */
  waitForDestinationMs: number | null;
  /** `disabled`: its retries ran out (or it was disabled by hand); what reaches it is dead-lettered until it is enabled. */
  outputs: { outputId: string; url: string; status: 'enabled' | 'disabled'; disabledReason: string | null }[];
  created: string;
}

/** A relay bucket as the API shows it: which checks it makes, never a password, token or secret. */
export interface RelayBucketView {
  bucketId: string;
  name: string;
  ephemeral: boolean;
  answer: { status: number; body: string; contentType: string };
  auth: {
    basic: { username: string } | null;
    token: { header: string } | null;
    sourceCidrs: string[];
    signature: { scheme: string; toleranceSeconds: number; hmac: { header: string; algorithm: string; encoding: string; prefix: string } | null } | null;
    onFailure: 'reject' | 'staticAnswer';
  };
  creatorLoginName: string;
  created: string;
  lastModified: string;
  inputs: RelayInputView[];
}
