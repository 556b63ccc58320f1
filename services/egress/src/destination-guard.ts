import type { AddressPolicy } from './address-policy';
import type { HostResolver } from './host-resolver';
import { Refusal } from './refusal';

/**
 * The one check every outbound connection passes, whether proxied HTTP or a CONNECT tunnel:
 * the port is allowed, the hostname (as the URL parser produced it) resolves, and every
 * resolved address is inside policy. Returns the checked address to dial; nothing else is.
 */
export class DestinationGuard {
  constructor(
    private readonly policy: AddressPolicy,
    private readonly resolver: HostResolver,
    private readonly allowedPorts: number[],
  ) {}

  async check(hostname: string, port: number): Promise<string> {
    if (!this.allowedPorts.includes(port)) throw new Refusal('blockedPort', `port ${port} is not allowed`);
    const addresses = await this.resolver.resolve(hostname);
    // One bad answer condemns the name: a mixed answer is how rebinding attacks start.
    for (const address of addresses) {
      const verdict = this.policy.judge(address);
      if (!verdict.allowed) throw new Refusal('blockedAddress', `IP ${address} is blocked (${verdict.range})`);
    }
    return addresses[0]!;
  }
}
