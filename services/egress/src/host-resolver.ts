import { lookup } from 'node:dns/promises';
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Refusal } from './refusal';

/**
 * Resolves a destination once, to every A and AAAA address, so the proxy can check them all
 * and then dial one of exactly those addresses (no second lookup an attacker could rebind).
 */
export class HostResolver {
  private readonly resolver: Resolver | undefined;

  constructor(dnsServers: string[]) {
    if (dnsServers.length > 0) {
      this.resolver = new Resolver({ timeout: 2_000, tries: 2 });
      this.resolver.setServers(dnsServers);
    }
  }

  /** `hostname` as the URL parser produced it: IPv6 literals keep their brackets. */
  async resolve(hostname: string): Promise<string[]> {
    const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    if (isIP(bare)) return [bare];
    try {
      if (!this.resolver) {
        const found = await lookup(bare, { all: true, order: 'verbatim' });
        return found.map((a) => a.address);
      }
      const [v4, v6] = await Promise.allSettled([this.resolver.resolve4(bare), this.resolver.resolve6(bare)]);
      const addresses = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
      if (addresses.length > 0) return addresses;
      const reason = [v4, v6].find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      throw reason?.reason ?? new Error('no A or AAAA records');
    } catch (error) {
      throw new Refusal('dnsFailure', `cannot resolve ${bare}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
}
