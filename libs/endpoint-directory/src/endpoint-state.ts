import { providerInForce, type EndpointConfigEvent, type ProviderType, type RateLimit, type SealedSecret } from '@tidings/contracts';

/** What the trigger and the publisher know of one endpoint, folded from its config events. */
export interface EndpointState {
  endpointId: string;
  tailnet: string;
  endpointUrl: string;
  /** The provider in force (the one asked for, else the one the URL's host names): the body format. */
  providerType: ProviderType;
  /** Its own rate limit (null: its provider's default, none for native). */
  rateLimit: RateLimit | null;
  subscriptions: string[];
  enabled: boolean;
  disabledReason: string | null;
  /** null for a relay output: what it forwards is not signed by Tidings. */
  secret: SealedSecret | null;
  /** The secret before the last rotation, still signing until `validUntil`. */
  previousSecret: { secret: SealedSecret; validUntil: string } | null;
  /** The version of the last applied config event (a relay output: its bucket's). */
  version: number;
  /** Set for an inbound relay output: its deliveries are relayed requests, sent as they came. */
  relay?: { bucketId: string; inputId: string };
}

/**
 * The sealed secrets that sign for an endpoint now: its secret, and the previous one while its
 * rotation grace period lasts. The one rule for the publisher and the notices alike.
 */
export function secretsInForce(endpoint: Pick<EndpointState, 'secret' | 'previousSecret'>, now: Date = new Date()): SealedSecret[] {
  const previous = endpoint.previousSecret && new Date(endpoint.previousSecret.validUntil) > now ? [endpoint.previousSecret.secret] : [];
  return endpoint.secret ? [endpoint.secret, ...previous] : previous;
}

export type ApplyOutcome = 'applied' | 'duplicate' | 'out-of-order' | 'unknown-endpoint';

/**
 * Applies one config event to the endpoint's state. Events arrive in order per endpoint (one
 * key, one partition); the outbox may redeliver one, which shows as a version already seen.
 * Returns the next state (undefined once deleted) and what happened.
 */
export function applyConfigEvent(state: EndpointState | undefined, event: EndpointConfigEvent): { state: EndpointState | undefined; outcome: ApplyOutcome } {
  if (event.type === 'endpointCreated') {
    if (state) return { state, outcome: state.version >= event.version ? 'duplicate' : 'out-of-order' };
    return {
      outcome: 'applied',
      state: {
        endpointId: event.endpointId,
        tailnet: event.tailnet,
        endpointUrl: event.endpointUrl,
        providerType: providerInForce(event.providerType, event.endpointUrl),
        rateLimit: event.rateLimit ?? null,
        subscriptions: event.subscriptions,
        enabled: true,
        disabledReason: null,
        secret: event.secret,
        previousSecret: null,
        version: event.version,
      },
    };
  }
  if (!state) return { state, outcome: 'unknown-endpoint' };
  if (event.version <= state.version) return { state, outcome: 'duplicate' };
  if (event.version !== state.version + 1) return { state, outcome: 'out-of-order' };

  const next = { ...state, version: event.version };
  switch (event.type) {
    case 'endpointSubscriptionsChanged':
      return { outcome: 'applied', state: { ...next, subscriptions: event.subscriptions } };
    case 'endpointRateLimitChanged':
      return { outcome: 'applied', state: { ...next, rateLimit: event.rateLimit } };
    case 'endpointSecretRotated':
      return {
        outcome: 'applied',
        state: {
          ...next,
          secret: event.secret,
          previousSecret: event.previousSecretValidUntil && state.secret ? { secret: state.secret, validUntil: event.previousSecretValidUntil } : null,
        },
      };
    case 'endpointDisabled':
      return { outcome: 'applied', state: { ...next, enabled: false, disabledReason: event.reason } };
    case 'endpointEnabled':
      return { outcome: 'applied', state: { ...next, enabled: true, disabledReason: null } };
    case 'endpointDeleted':
      return { outcome: 'applied', state: undefined };
  }
}
