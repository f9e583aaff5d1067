import { BlockList, isIP } from 'node:net';

/**
 * Which peers' `X-Forwarded-For` Tether believes (`TETHER_TRUSTED_PROXIES`, as CIDRs from `TetherConfig`), and so
 * which address a request really comes from. HTTP gets it from Fastify (`trustProxy` is `trusts`, so `request.ip`
 * is the client's address); socket.io handshakes, which Fastify never sees, from `clientAddress`. Both walk the
 * chain the way proxy-addr does: from the TCP peer leftwards through X-Forwarded-For, the first address that is
 * not a trusted proxy is the client. With no trusted proxy the TCP peer is the client and the header is ignored,
 * so nobody can choose their own rate-limit bucket by sending one.
 */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly enabled: boolean;

  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [address, prefix] = cidr.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      this.list.addSubnet(address, Number(prefix), family);
    }
    this.enabled = cidrs.length > 0;
  }

  /** Fastify's `trustProxy` function form: is the peer at `address` (hop `_hop`) a proxy we trust? */
  readonly trusts = (address: string, _hop?: number): boolean => {
    if (!this.enabled) return false;
    const normalized = unmapped(address);
    const family = isIP(normalized);
    return family !== 0 && this.list.check(normalized, family === 6 ? 'ipv6' : 'ipv4');
  };

  /** The client's address behind the trusted proxies, from the TCP peer's address and the X-Forwarded-For header. */
  clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined): string {
    let address = unmapped(peer ?? '');
    if (!this.trusts(address)) return address;
    const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '');
    const hops = header
      .split(',')
      .map((hop) => hop.trim())
      .filter(Boolean)
      .reverse();
    for (const hop of hops) {
      address = unmapped(hop);
      if (!this.trusts(address)) return address;
    }
    return address;
  }
}

/** `::ffff:10.0.0.1` (an IPv4 peer of a dual-stack socket) is 10.0.0.1. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
