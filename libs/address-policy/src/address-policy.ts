import ipaddr from 'ipaddr.js';

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Why an address is refused; also the `X-Tidings-Reason` wording. */
export interface Verdict {
  allowed: boolean;
  /** The named range that decided, e.g. `loopback`, `private`, `allow-list`. */
  range: string;
}

const table = (entries: [string, string][]): { range: string; cidr: Cidr }[] =>
  entries.map(([cidr, range]) => ({ range, cidr: ipaddr.parseCIDR(cidr) }));

/**
 * Every non-public range. IPv6 outside global unicast (2000::/3) is refused as a whole, and
 * the special blocks inside it are listed by name, so a verdict says what the address is.
 */
const BUILTIN_DENY = table([
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'cgnat'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'documentation'],
  ['192.31.196.0/24', 'reserved'],
  ['192.52.193.0/24', 'reserved'],
  ['192.88.99.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['192.175.48.0/24', 'reserved'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::ffff:0:0/96', 'ipv4-mapped'],
  ['::/96', 'ipv4-compatible'],
  ['64:ff9b::/96', 'nat64'],
  ['64:ff9b:1::/48', 'nat64'],
  ['100::/64', 'reserved'],
  ['2001::/32', 'teredo'],
  ['2001:2::/48', 'benchmarking'],
  ['2001:10::/28', 'reserved'],
  ['2001:20::/28', 'reserved'],
  ['2001:db8::/32', 'documentation'],
  ['2002::/16', '6to4'],
  ['3fff::/20', 'documentation'],
  ['5f00::/16', 'reserved'],
  ['fc00::/7', 'private'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
]);

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

const matches = (addr: ipaddr.IPv4 | ipaddr.IPv6, [net, bits]: Cidr) => addr.kind() === net.kind() && addr.match(net, bits);

export interface AddressPolicyOptions {
  /** EGRESS_ALLOW_CIDRS: allowed even inside a built-in denied range. */
  allow: string[];
  /** EGRESS_SOCKS5_CIDRS: allowed, but only through the SOCKS5 route. */
  socks5?: string[];
  /** EGRESS_DENY_CIDRS: refused always; wins over the allow list. */
  deny: string[];
  /**
   * EGRESS_TAILNET_CIDRS: ranges granted to one tailnet each. An address in one is allowed
   * only for a request of that tailnet (through the SOCKS5 route if it is in those ranges
   * too), refused for any other, whatever the allow list says.
   */
  tailnets?: Record<string, string[]>;
}

/**
 * Decides whether the proxy may dial an address. Order: operator deny, operator allow,
 * built-in deny ranges, then IPv6 outside global unicast; everything else is public.
 */
export class AddressPolicy {
  private readonly allow: Cidr[];
  private readonly deny: Cidr[];
  private readonly socks5: Cidr[];
  private readonly grants: { tailnet: string; cidr: Cidr }[];

  constructor(options: AddressPolicyOptions) {
    this.allow = options.allow.map((c) => ipaddr.parseCIDR(c));
    this.deny = options.deny.map((c) => ipaddr.parseCIDR(c));
    this.socks5 = (options.socks5 ?? []).map((c) => ipaddr.parseCIDR(c));
    this.grants = Object.entries(options.tailnets ?? {}).flatMap(([tailnet, cidrs]) => cidrs.map((c) => ({ tailnet, cidr: ipaddr.parseCIDR(c) })));
  }

  /** `tailnet`: whose request it is (the egress reads it from the client); none: no grant applies. */
  judge(address: string, tailnet?: string): Verdict {
    const canonical = canonicalIp(address);
    if (canonical === undefined) return { allowed: false, range: 'invalid' };
    const addr = ipaddr.parse(canonical);
    if (this.deny.some((c) => matches(addr, c))) return { allowed: false, range: 'deny-list' };
    const granted = this.grants.filter((g) => matches(addr, g.cidr));
    if (granted.length > 0) {
      if (!granted.some((g) => g.tailnet === tailnet)) return { allowed: false, range: 'granted to another tailnet' };
      return { allowed: true, range: this.socks5.some((c) => matches(addr, c)) ? 'socks5-route' : 'tailnet-grant' };
    }
    if (this.socks5.some((c) => matches(addr, c))) return { allowed: true, range: 'socks5-route' };
    if (this.allow.some((c) => matches(addr, c))) return { allowed: true, range: 'allow-list' };
    const builtin = BUILTIN_DENY.find((e) => matches(addr, e.cidr));
    if (builtin) return { allowed: false, range: builtin.range };
    if (addr.kind() === 'ipv6' && !matches(addr, GLOBAL_UNICAST_V6)) return { allowed: false, range: 'reserved' };
    return { allowed: true, range: 'public' };
  }
}

/**
 * The WHATWG URL parser's canonical form of an IP literal. ipaddr.js reads a dotted IPv4 tail
 * (`::127.0.0.1`) as IPv4-mapped; Node and the URL parser do not, and we judge what they dial.
 */
function canonicalIp(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return undefined;
  if (!address.includes(':')) return ipaddr.IPv4.isValidFourPartDecimal(address) ? address : undefined;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}
