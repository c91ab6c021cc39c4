// One request's bookkeeping, whichever engine serves it: its id, host and app, and what the access log says of it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { normalizeHost } from '../../src/routes/index.ts';
import { requestId } from './request-id.ts';

/** Per-request bookkeeping for the access log, and the upstream timeout once a route is known. */
export interface Exchange {
  id: string;
  host: string | null;
  /** The app the request was routed to, once known (for its access log). */
  app?: string;
  start: number;
  bytes: number;
  status: number;
  /** The upstream idle timeout (ms): the route's own, else the router's. */
  timeoutMs?: number;
  /** Called once if the client goes away before its response was finished. */
  onClientGone?: () => void;
}

/**
 * Whether the client got the whole answer. Over HTTP/2 Node counts a response finished once its stream closes, even
 * by a reset (the client cancelled, or its request was malformed): the stream's rstCode tells.
 */
export function answeredWhole(res: ServerResponse): boolean {
  return res.writableFinished && !(res as { stream?: { rstCode?: number } }).stream?.rstCode;
}

export function startExchange(req: IncomingMessage): Exchange {
  return { id: requestId(req), host: normalizeHost(req.headers.host), start: performance.now(), bytes: 0, status: 0 };
}
