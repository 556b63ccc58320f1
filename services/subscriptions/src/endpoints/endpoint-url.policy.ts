import { isIP } from 'node:net';
import { AddressPolicy } from '@tidings/address-policy';

/**
 * Creation-time check of an endpoint URL: https only, no userinfo, and a DNS name or a public
 * IP literal, judged with the egress proxy's own range table. The proxy re-checks every
 * delivery against resolved addresses and is the authority; this gives the customer a clear
 * 400 early.
 */
export class EndpointUrlPolicy {
  private readonly addresses: AddressPolicy;

  /** `allowCidrs`: EGRESS_ALLOW_CIDRS, so local set-ups may register loopback receivers. */
  constructor(allowCidrs: string[]) {
    this.addresses = new AddressPolicy({ allow: allowCidrs, deny: [] });
  }

  /** Returns a problem description, or undefined when the URL is acceptable. */
  check(raw: string): string | undefined {
    if (!URL.canParse(raw)) return 'must be an absolute URL';
    const url = new URL(raw);
    if (url.protocol !== 'https:') return 'must use https://';
    if (url.username || url.password) return 'must not contain userinfo (user:password@)';
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (!host) return 'must have a host';
    if (isIP(host)) {
      const verdict = this.addresses.judge(host);
      if (!verdict.allowed) return `must not point at a ${verdict.range} address`;
    } else if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*\.?$/i.test(host)) {
      return 'must have a valid DNS host name';
    }
    return undefined;
  }
}
