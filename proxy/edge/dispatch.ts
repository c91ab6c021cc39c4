// Which engine serves a plain request, and why: the fast path (raw sockets), or Node's server, whose edge policy then
// pages, redirects, holds or passes it to the pooled engine. Pure; each verdict is counted in routerStats.
import { pageOnly, type Match } from '../../src/routes/index.ts';
import { bodyLimit } from './limits.ts';
import { isAcmeChallenge } from './challenge.ts';
import type { TrustCheck } from './trust.ts';

/** Why a connection goes to Node's server (from that request on): each is a case the fast path leaves to the edge policy. */
export type HandOver =
  | 'unusual' // a head the fast path's strict parser does not take (chunked, an upgrade, odd bytes, ...): Node's parser and the guard judge it
  | 'partial' // the head came in pieces
  | 'no-app' // no route for the Host: the 404 page
  | 'stopped' // the 503 page
  | 'no-instance' // sleeping or starting: the request is held while the app wakes
  | 'https-only' // the 308 to HTTPS
  | 'route-headers' // the route adds headers of its own (the dashboard's proof)
  | 'acme' // an ACME challenge the router answers itself
  | 'trusted-proxy' // forwarding headers from a trusted peer, to keep
  | 'body-limit' // a declared body over the app's limit: the 413
  | 'unreached'; // every instance refused the connection: the pooled engine tries them again and answers its 502

export type Verdict = 'fast' | HandOver;

/** What dispatch reads of a request head the fast path parsed. */
export interface HeadFacts {
  target: string;
  /** The client sent forwarding headers (X-Forwarded-*, Forwarded, X-Real-IP, ...). */
  forwarded: boolean;
  /** The declared body length. */
  length: number;
}

export interface DispatchPolicy {
  /** ACME challenges are the router's own answers. */
  challenges: boolean;
  trust: TrustCheck;
}

/**
 * The engine for a request the fast path read (`head`: null when unusual, 'incomplete' when partial), given its route;
 * `secure` when it came over TLS (an HTTPS-only route then needs no redirect).
 */
export function dispatch(head: HeadFacts | 'incomplete' | null, match: Match | null, peer: string | undefined, p: DispatchPolicy, secure = false): Verdict {
  if (head === null) return 'unusual';
  if (head === 'incomplete') return 'partial';
  if (!match) return 'no-app';
  const { route } = match;
  if (pageOnly(route)) return 'stopped';
  if (!match.upstream) return 'no-instance';
  if (route.httpsOnly && !secure) return 'https-only';
  if (route.upstreamHeaders) return 'route-headers';
  if (p.challenges && isAcmeChallenge(head.target)) return 'acme';
  if (head.forwarded && p.trust(peer)) return 'trusted-proxy';
  const limit = bodyLimit(route);
  if (limit > 0 && head.length > limit) return 'body-limit';
  return 'fast';
}

/** Requests each engine served, and why connections left the fast path (this process: for tests and metrics). */
export interface RouterStats {
  /** Requests the fast path served. */
  fast: number;
  /** Connections handed from the fast path to Node's server, and why. */
  handedOver: number;
  why: Record<HandOver, number>;
  /** Fast-path requests that waited for a free link to their instance (it had its most), and those answered 503 instead (the wait's bound; the pooled engine's too). */
  queued: number;
  queueRefused: number;
  /** Pooled-engine requests waiting for a connection to their instance now (../pooled/queue.ts). */
  pooledWaiting: number;
  /** Requests and upgrades Node's server passed to the pooled engine and to the websocket one. */
  pooled: number;
  ws: number;
  /** Requests that came over HTTP/2 (../h2/; then served by the pooled engine or the router's own answers). */
  h2: number;
  /** HTTP/2 requests refused for a field nghttp2 would have dropped (a CR, LF or NUL in a value, a bad name: ../h2/inspect.ts). */
  h2Malformed: number;
}

export const routerStats: RouterStats = {
  fast: 0, handedOver: 0, queued: 0, queueRefused: 0, pooledWaiting: 0, pooled: 0, ws: 0, h2: 0, h2Malformed: 0,
  why: { unusual: 0, partial: 0, 'no-app': 0, stopped: 0, 'no-instance': 0, 'https-only': 0, 'route-headers': 0, acme: 0, 'trusted-proxy': 0, 'body-limit': 0, unreached: 0 },
};

/** Counts a connection handed to Node's server. */
export function countHandOver(why: HandOver): void {
  routerStats.handedOver++;
  routerStats.why[why]++;
}
