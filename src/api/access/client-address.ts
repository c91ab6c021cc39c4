// The client's address as the router computed it: forwarded headers count only on requests that carry the
// router's proof (a secret only minicloud's processes know), so a local process cannot claim another address.
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { ROUTER_PROOF } from '../../core/index.ts';

const FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'forwarded', 'x-real-ip'];

export interface ClientAddressOptions {
  /** The router's proof; without one, no forwarded header is believed. */
  routerProof?: string;
  /** MINICLOUD_TRUSTED_PROXIES: proxies in front of the router, skipped as the router skips them. */
  trustedProxy?: (addr: string) => boolean;
}

const plain = (addr: string | undefined) => (addr?.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr) ?? 'unknown';

function proven(header: string | string[] | undefined, proof: string | undefined): boolean {
  if (!proof || typeof header !== 'string') return false;
  const a = Buffer.from(header);
  const b = Buffer.from(proof);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Middleware, first of all: drops the forwarded headers (and the proof) of any request the router did not
 * pass on, so Express's req.ip, req.secure and req.protocol never believe a client's own.
 */
export function forwardedFromRouterOnly(o: ClientAddressOptions) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!proven(req.headers[ROUTER_PROOF], o.routerProof)) for (const h of FORWARDED) delete req.headers[h];
    delete req.headers[ROUTER_PROOF];
    next();
  };
}

/**
 * Express's `trust proxy`: the peer (hop 0) is the router whenever forwarded headers survived the check above;
 * further hops are trusted as the router trusts them. req.ip is then the rightmost untrusted address.
 */
export function trustProxy(o: ClientAddressOptions): (addr: string, hop: number) => boolean {
  return (addr, hop) => hop === 0 || (o.trustedProxy?.(plain(addr)) ?? false);
}

export const clientAddress = (req: Request): string => plain(req.ip ?? req.socket.remoteAddress);

/**
 * What failures are counted under: the address, or for IPv6 its /64 (one host usually holds a whole /64,
 * and could otherwise try from 2^64 addresses).
 */
export function limitKey(address: string): string {
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '').toLowerCase()).join(':')}::/64`;
}
