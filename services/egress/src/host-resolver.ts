import { lookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Refusal } from './refusal';

/** The longest an answer is reused, whatever TTL it came with. */
export const MAX_CACHE_MS = 30_000;
/** The system resolver (getaddrinfo) gives no TTL: its answers are reused this long. */
export const SYSTEM_LOOKUP_CACHE_MS = 5_000;
/** Names remembered at once; the oldest entry goes first. */
const MAX_ENTRIES = 10_000;

interface Cached {
  addresses: string[];
  expiresAt: number;
}

/**
 * Resolves a destination to every A and AAAA address, so the proxy can check them all and then
 * dial one of exactly those addresses (no second lookup an attacker could rebind). Answers are
 * reused for their TTL (capped; see the constants), and concurrent requests for a name share
 * one lookup, so a busy endpoint costs no resolution per request. Reuse cannot rebind: each
 * request judges the addresses it dials, and failures are never cached.
 */
export class HostResolver {
  private readonly resolver: Resolver | undefined;
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Map<string, Promise<Cached>>();

  constructor(
    dnsServers: string[],
    private readonly now: () => number = Date.now,
  ) {
    if (dnsServers.length > 0) {
      this.resolver = new Resolver({ timeout: 2_000, tries: 2 });
      this.resolver.setServers(dnsServers);
    }
  }

  /** `hostname` as the URL parser produced it: IPv6 literals keep their brackets. */
  async resolve(hostname: string): Promise<string[]> {
    const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    if (isIP(bare)) return [bare];
    const cached = this.cache.get(bare);
    if (cached && cached.expiresAt > this.now()) return cached.addresses;
    let pending = this.inFlight.get(bare);
    if (!pending) {
      pending = this.lookUp(bare).finally(() => this.inFlight.delete(bare));
      this.inFlight.set(bare, pending);
    }
    return (await pending).addresses;
  }

  private async lookUp(name: string): Promise<Cached> {
    let answer: Cached;
    try {
      answer = this.resolver ? await this.query(this.resolver, name) : await this.system(name);
    } catch (error) {
      throw new Refusal('dnsFailure', `cannot resolve ${name}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    this.cache.delete(name);
    if (answer.expiresAt > this.now()) {
      this.cache.set(name, answer);
      if (this.cache.size > MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    }
    return answer;
  }

  private async system(name: string): Promise<Cached> {
    const found = await lookup(name, { all: true, order: 'verbatim' });
    return { addresses: found.map((a) => a.address), expiresAt: this.now() + SYSTEM_LOOKUP_CACHE_MS };
  }

  /** Both families from the configured servers; the answer lives as long as its shortest TTL. */
  private async query(resolver: Resolver, name: string): Promise<Cached> {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(name, { ttl: true }), resolver.resolve6(name, { ttl: true })]);
    const records = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    if (records.length === 0) {
      const reason = [v4, v6].find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      throw reason?.reason ?? new Error('no A or AAAA records');
    }
    const ttlMs = Math.min(MAX_CACHE_MS, ...records.map((r) => r.ttl * 1000));
    return { addresses: records.map((r) => r.address), expiresAt: this.now() + ttlMs };
  }
}
