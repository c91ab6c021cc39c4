// Which peers may hand the router forwarded headers (MINICLOUD_TRUSTED_PROXIES): IPs and CIDRs, parsed once.
import { BlockList, isIP } from 'node:net';
import { UserError } from '../../src/core/index.ts';

/** Whether a connection's peer address belongs to a trusted proxy. */
export type TrustCheck = (peer: string | undefined) => boolean;

export const trustNobody: TrustCheck = () => false;

/**
 * Parses a comma list like `10.0.0.0/8, 192.168.1.7, ::1, fd00::/8`. Empty or unset trusts nobody.
 * A bad entry is a startup error: silently trusting less (or more) than the operator meant is worse.
 */
export function parseTrustedProxies(spec: string | undefined, name = 'MINICLOUD_TRUSTED_PROXIES'): TrustCheck {
  const entries = (spec ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) return trustNobody;
  const list = new BlockList();
  for (const entry of entries) {
    const [addr, bits, extra] = entry.split('/');
    const family = isIP(addr ?? '');
    const max = family === 4 ? 32 : 128;
    const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (!family || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
      throw new UserError(`${name}: "${entry}" is not an IP address or CIDR range`, `e.g. ${name}=10.0.0.0/8,192.168.1.7,::1`);
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === max) list.addAddress(addr!, type);
    else list.addSubnet(addr!, prefix, type);
  }
  return (peer) => {
    const addr = plainAddress(peer);
    if (!addr) return false;
    const family = isIP(addr);
    return family !== 0 && list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
  };
}

/**
 * The client as the trusted chain gives it: the peer itself unless it is a trusted proxy; then, walking its
 * X-Forwarded-For from the right (each proxy appends the address it saw), the first address that is not a trusted
 * proxy's. What lies to the left of that is whatever the client wrote, and is never taken. An entry that is no IP
 * address (a trusted proxy passed garbage on) ends the walk at the last address known good.
 */
export function clientAddress(peer: string | undefined, chain: string | undefined, trust: TrustCheck): string {
  let client = plainAddress(peer) ?? '-';
  if (!trust(peer) || !chain) return client;
  const hops = chain.split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = plainAddress(hops[i]!.trim());
    if (!hop || isIP(hop) === 0) break;
    client = hop;
    if (!trust(hop)) break;
  }
  return client;
}

/** The peer address, with IPv4-mapped IPv6 (`::ffff:1.2.3.4`) shown as the plain IPv4 apps expect. */
export function plainAddress(addr: string | undefined): string | undefined {
  return addr?.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}
