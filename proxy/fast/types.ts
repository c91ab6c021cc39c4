// Fast path: the options and the shared state its connections read (apart from index.ts, so conn.ts needs no cycle).
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { RouteTable } from '../../src/routes/index.ts';
import type { Exchange } from '../edge/exchange.ts';
import type { TrustCheck } from '../edge/trust.ts';
import type { Waker } from '../edge/wake.ts';
import type { Links, QueueLimits } from './links.ts';

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
  /** Past them, how many requests may wait for one, and for how long, before a 503; default 4,096 and 10 s. */
  queue?: QueueLimits;
}

export interface FastPath {
  table: RouteTable;
  waker: Waker;
  trust: TrustCheck;
  timeoutMs: number;
  log: FastOptions['log'];
  challenges: boolean;
  links: Links;
  /** Set when the router drains: every answer says `Connection: close`. */
  draining: boolean;
}

/** Where a client connection came in: its scheme, and the server that takes it over for the slow path. */
export interface Door {
  /** The scheme of the connection itself (X-Forwarded-Proto; an HTTPS-only route's redirect is for 'http' only). */
  proto: 'http' | 'https';
  /** Gives a socket to Node's HTTP (or HTTPS) server, as if it had just connected. */
  handOver(socket: Socket): void;
}
