import type { RateLimit } from '@tidings/contracts';

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets back to full are dropped after this many spends, so idle endpoints cost nothing. */
const SWEEP_EVERY = 1_000;

/**
 * A token bucket per endpoint: a request spends a token, tokens come back at
 * `requests / perSeconds` a second up to `requests`. While an endpoint has none, its lane waits
 * (and its batch grows); no other endpoint does.
 */
export class EndpointRateLimits {
  private readonly buckets = new Map<string, Bucket & { limit: RateLimit }>();
  private spends = 0;

  /** How long until the endpoint may send again (0: now). */
  waitMs(endpointId: string, limit: RateLimit, now: number): number {
    const tokens = this.tokens(endpointId, limit, now);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * limit.perSeconds * 1_000) / limit.requests);
  }

  /** A request goes out now. */
  spend(endpointId: string, limit: RateLimit, now: number): void {
    this.buckets.set(endpointId, { tokens: this.tokens(endpointId, limit, now) - 1, at: now, limit });
    if (++this.spends % SWEEP_EVERY === 0) this.sweep(now);
  }

  private tokens(endpointId: string, limit: RateLimit, now: number): number {
    const bucket = this.buckets.get(endpointId);
    if (!bucket) return limit.requests;
    return Math.min(limit.requests, bucket.tokens + ((now - bucket.at) / 1_000) * (limit.requests / limit.perSeconds));
  }

  private sweep(now: number): void {
    for (const [id, b] of this.buckets) if (this.tokens(id, b.limit, now) >= b.limit.requests) this.buckets.delete(id);
  }
}
