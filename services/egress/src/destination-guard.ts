import type { AddressPolicy } from '@tidings/address-policy';
import type { HostResolver } from './host-resolver';
import { Refusal } from './refusal';

export interface CheckedDestination {
  /** The address to dial: one that passed the policy. */
  address: string;
  /** Reached through the operator's SOCKS5 route, never directly. */
  viaSocks5: boolean;
}

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

  /** `tailnet`: whose request it is; the ranges granted to a tailnet are open to it alone. */
  async check(hostname: string, port: number, tailnet?: string): Promise<CheckedDestination> {
    if (!this.allowedPorts.includes(port)) throw new Refusal('blockedPort', `port ${port} is not allowed`);
    const addresses = await this.resolver.resolve(hostname);
    // One bad answer condemns the name: a mixed answer is how rebinding attacks start.
    const verdicts = addresses.map((address) => ({ address, ...this.policy.judge(address, tailnet) }));
    for (const v of verdicts) if (!v.allowed) throw new Refusal('blockedAddress', `IP ${v.address} is blocked (${v.range})`);
    return { address: verdicts[0]!.address, viaSocks5: verdicts[0]!.range === 'socks5-route' };
  }
}
