import ipaddr from 'ipaddr.js';

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** An address in one form: IPv4-mapped IPv6 (`::ffff:1.2.3.4`, as dual-stack sockets report it) as IPv4. */
function parse(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (!ipaddr.isValid(address)) return undefined;
  const parsed = ipaddr.parse(address);
  return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress() ? (parsed as ipaddr.IPv6).toIPv4Address() : parsed;
}

/** A list of CIDRs (v4 and v6) an address can be matched against. Throws on a malformed one. */
export class CidrList {
  private readonly cidrs: Cidr[];

  constructor(cidrs: readonly string[]) {
    this.cidrs = cidrs.map((c) => ipaddr.parseCIDR(c));
  }

  get empty(): boolean {
    return this.cidrs.length === 0;
  }

  has(address: string): boolean {
    const addr = parse(address);
    return addr !== undefined && this.cidrs.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
  }
}

/** Whether every entry is a CIDR (or a bare address) ipaddr.js reads: for validating input. */
export function isCidr(value: string): boolean {
  try {
    ipaddr.parseCIDR(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * The caller's address. `X-Forwarded-For` is believed only as far as the hops it names are
 * trusted proxies: walking from the socket's peer back, the first address that is not a
 * trusted proxy is the client. Without trusted proxies, the socket's peer, whatever the header says.
 */
export function clientAddress(peer: string, forwardedFor: string | undefined, trustedProxies: CidrList): string {
  const self = parse(peer)?.toString() ?? peer;
  if (trustedProxies.empty || !trustedProxies.has(self) || !forwardedFor) return self;
  const hops = forwardedFor.split(',').map((h) => h.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parse(hops[i]!)?.toString();
    if (hop === undefined) return self; // a forged or garbled hop: believe only the socket
    if (!trustedProxies.has(hop)) return hop;
  }
  return parse(hops[0] ?? '')?.toString() ?? self;
}
