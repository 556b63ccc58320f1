import { isIP } from 'node:net';
import { AddressPolicy } from '@tidings/address-policy';

export interface UrlCheckOptions {
  /** Whose URL: the ranges granted to a tailnet (EGRESS_TAILNET_CIDRS) are open to it alone. */
  tailnet: string;
  /** A relay output may use plain `http://` to an address in a range granted to its tailnet (a private target). */
  plainHttpInGrant?: boolean;
}

/**
 * Creation-time check of an endpoint URL: https only (or http to a tailnet's own granted range,
 * for a relay output), no userinfo, and a DNS name or an IP literal the egress would dial for
 * this tailnet, judged with the egress proxy's own range table. The proxy re-checks every
 * delivery against resolved addresses and is the authority; this gives the customer a clear
 * 400 early.
 */
export class EndpointUrlPolicy {
  private readonly addresses: AddressPolicy;

  /** `allowCidrs`: EGRESS_ALLOW_CIDRS, so local set-ups may register loopback receivers; `tailnetCidrs`: EGRESS_TAILNET_CIDRS. */
  constructor(allowCidrs: string[], tailnetCidrs: Record<string, string[]> = {}) {
    this.addresses = new AddressPolicy({ allow: allowCidrs, deny: [], tailnets: tailnetCidrs });
  }

  /** Returns a problem description, or undefined when the URL is acceptable. */
  check(raw: string, options: UrlCheckOptions): string | undefined {
    if (!URL.canParse(raw)) return 'must be an absolute URL';
    const url = new URL(raw);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https://';
    if (url.username || url.password) return 'must not contain userinfo (user:password@)';
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (!host) return 'must have a host';
    if (isIP(host)) {
      const verdict = this.addresses.judge(host, options.tailnet);
      if (!verdict.allowed) return `must not point at a ${verdict.range} address`;
      const granted = verdict.range === 'tailnet-grant' || verdict.range === 'socks5-route';
      if (url.protocol === 'http:' && !(options.plainHttpInGrant && granted)) return 'must use https:// (http:// only to an address granted to your tailnet)';
    } else if (url.protocol === 'http:') {
      return 'must use https:// (http:// only to an address granted to your tailnet)';
    } else if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*\.?$/i.test(host)) {
      return 'must have a valid DNS host name';
    }
    return undefined;
  }
}
