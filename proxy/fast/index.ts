// Fast path: plain requests of the common shape go to the app over raw kept-alive links; all else is Node's HTTP server's.
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { RouteTable } from '../../src/router/index.ts';
import type { Exchange } from '../forward.ts';
import type { TrustCheck } from '../trust.ts';
import type { Waker } from '../wake.ts';
import { Conn } from './conn.ts';
import { Links } from './links.ts';

export interface FastOptions {
  /** The plain HTTP server: it gets every connection the fast path does not keep, at a request boundary. */
  server: http.Server;
  table: RouteTable;
  waker: Waker;
  trust: TrustCheck;
  /** The router's default upstream idle timeout (ms); a route's own wins. */
  timeoutMs: number;
  /** The access-log writer, or null when no one reads the log. */
  log: ((method: string, path: string, ex: Exchange) => void) | null;
  /** ACME challenge paths are the router's own answers: they take the slow path. */
  challenges: boolean;
  /** Most connections to one app instance. */
  connections?: number;
}

export interface FastPath {
  table: RouteTable;
  waker: Waker;
  trust: TrustCheck;
  timeoutMs: number;
  log: FastOptions['log'];
  challenges: boolean;
  links: Links;
  stats: FastStats;
  /** Gives a socket to Node's HTTP server, as if it had just connected. */
  handOver(socket: Socket): void;
}

/** Requests the fast path served, and connections it handed to the slow path (this process, for tests). */
export interface FastStats {
  fast: number;
  handedOver: number;
}
export const fastStats: FastStats = { fast: 0, handedOver: 0 };

/**
 * Why: Node's HTTP machinery on both sides (IncomingMessage/ServerResponse, undici's parser) costs
 * several times what a request costs nginx. Most requests are a GET with a handful of headers to an
 * app that answers with a length or chunks; those are parsed strictly here and relayed by framing.
 * Anything else, or any doubt, goes to the server's own connection handling, untouched: bad
 * requests, smuggling patterns, upgrades, pages, held requests, trusted proxies, ACME.
 */
export function installFastPath(o: FastOptions): { close(): void } {
  const { server } = o;
  // http.Server handles a connection with the 'connection' listener its constructor adds: this
  // takes its place and calls it for the connections it gives back.
  const [httpConnection, ...others] = server.listeners('connection') as Array<(s: Socket) => void>;
  if (!httpConnection || others.length) throw new Error('the fast path must be installed on a fresh http.Server');
  server.off('connection', httpConnection);
  const fp: FastPath = {
    table: o.table, waker: o.waker, trust: o.trust, timeoutMs: o.timeoutMs, log: o.log, challenges: o.challenges,
    links: new Links(o.table, o.connections),
    stats: fastStats,
    handOver: (socket) => httpConnection.call(server, socket),
  };
  server.on('connection', (socket: Socket) => void new Conn(fp, socket));
  return { close: () => fp.links.close() };
}
