// Whether a failed try goes again, and where (Caddy's tryAgain): one rule for every engine, each telling what it knows.
import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import type { Route, RouteTable, Upstream } from '../../src/routes/index.ts';

/** What an engine knows about a try that failed before any answer reached the client. */
export interface FailedTry {
  /** The connection to the instance never came up: no byte of the request can have reached the app. */
  unreached: boolean;
  /**
   * A kept-alive connection closed under the request before any byte of an answer: most likely the app closed it as
   * idle just as the request went.
   */
  stale?: boolean;
  /** The request can be sent again as it was (a bodiless GET or HEAD, every byte still at hand). */
  replayable?: boolean;
  /** It was sent again once already. */
  retried?: boolean;
}

/**
 * How long a new connection to an instance may take to come up (ms) before the request goes to another: an instance
 * whose node died outright (no reset, no ICMP) would hold it for the whole upstream timeout otherwise. The kernel
 * answers a connect itself, however busy the app: seconds mean the instance (or its node) is not there.
 */
export const CONNECT_TIMEOUT_MS = 3000;

/** A connect that took its most, as the engines report it (the error code says it never came up). */
export function connectTimeout(): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect timed out after ${CONNECT_TIMEOUT_MS} ms`), { code: 'ECONNTIMEOUT' });
}

/** Whether a failed connect's error says it never came up: refused, or past the connect limit. */
export function neverConnected(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNTIMEOUT';
}

/**
 * Holds an outgoing request (node:http's, as the websocket engine makes them) to the connect limit: its socket not up
 * after CONNECT_TIMEOUT_MS, the request fails with connectTimeout() instead of waiting out the upstream idle timeout.
 */
export function limitConnect(req: ClientRequest): void {
  req.once('socket', (s: Socket) => {
    if (!s.connecting) return;
    const limit = setTimeout(() => req.destroy(connectTimeout()), CONNECT_TIMEOUT_MS);
    s.once('connect', () => clearTimeout(limit));
    s.once('close', () => clearTimeout(limit));
  });
}

/**
 * `next`: another instance of the route (this one is suspect for a while); `same`: this instance again, on a new
 * connection, once; null: no more tries, the client gets the failure. A request that may have reached the app is
 * never sent to a second one: only an app can say whether doing it twice is harmless.
 */
export function tryAgain(t: FailedTry): 'next' | 'same' | null {
  if (t.unreached) return 'next';
  if (t.stale && t.replayable && !t.retried) return 'same';
  return null;
}

/**
 * The instances left to try after `failed` was unreached (`why`: the connect's error code): takes it out of rotation
 * until a probe reaches it (probe.ts), and on the first call lists the route's others (the ones not suspect first); the
 * engine takes them in turn from the list it keeps.
 */
export function fallbacks(table: RouteTable, route: Route, failed: Upstream, rest: Upstream[] | null, why?: string): Upstream[] {
  table.suspect(failed, why);
  return rest ?? table.fallbacks(route, failed);
}
