// Where an app member's webhook may point: public addresses only. Their apps are fenced off from this host and its
// private network; an alert POST (whose body quotes the app's own build output) must not be a way around the fence.
// Checked when the connection is made, on every address the name resolves to (a name re-pointed later is caught too).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

const PRIVATE = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3]] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) PRIVATE.addSubnet(net, bits, 'ipv6');

/** Loopback, private, link-local, CGNAT, multicast or unspecified (an IPv4-mapped IPv6 address as its IPv4 one). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
  const v = isIP(address);
  return v === 0 ? true : PRIVATE.check(address, v === 4 ? 'ipv4' : 'ipv6');
}

/** Why `host` (a URL's hostname) may not be dialled by an app's channel, when it is an address literal; else null. */
export function privateLiteral(host: string): string | null {
  const bare = host.replace(/^\[|\]$/g, '');
  return isIP(bare) && isPrivateAddress(bare) ? `${bare} is a private address` : null;
}

/** A DNS lookup for http.request that refuses names resolving to any private address. */
export const publicLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { family: options.family, hints: options.hints, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, '');
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad || addresses.length === 0) {
      const e = Object.assign(new Error(`${hostname} resolves to ${bad?.address ?? 'nothing'}, a private address: an app's webhook must point at a public one (an admin may add it as a server-wide channel)`), { code: 'EPRIVATE' });
      return callback(e, '');
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};
