import type { RateLimit } from '@tidings/contracts';

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets back to full are dropped after this many spends, so idle keys cost nothing. */
const SWEEP_EVERY = 1_000;

/**
 * A token bucket per key (a webhook endpoint, a relay input): a request spends a token, tokens
 * come back at `requests / perSeconds` a second up to `requests`. One key without tokens
 * waits (or is refused); no other key does.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket & { limit: RateLimit }>();
  private spends = 0;

  /** How long until the key may spend again (0: now). */
  waitMs(key: string, limit: RateLimit, now: number): number {
    const tokens = this.tokens(key, limit, now);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * limit.perSeconds * 1_000) / limit.requests);
  }

  /** A request goes out now. */
  spend(key: string, limit: RateLimit, now: number): void {
    this.buckets.set(key, { tokens: this.tokens(key, limit, now) - 1, at: now, limit });
    if (++this.spends % SWEEP_EVERY === 0) this.sweep(now);
  }

  private tokens(key: string, limit: RateLimit, now: number): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return limit.requests;
    return Math.min(limit.requests, bucket.tokens + ((now - bucket.at) / 1_000) * (limit.requests / limit.perSeconds));
  }

  private sweep(now: number): void {
    for (const [id, b] of this.buckets) if (this.tokens(id, b.limit, now) >= b.limit.requests) this.buckets.delete(id);
  }
}
