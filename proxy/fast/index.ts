// Fast path: plain requests of the common shape go to the app over raw kept-alive links; all else is Node's HTTP server's.
import type { Socket } from 'node:net';
import { Conn } from './conn.ts';
import { Links } from './links.ts';
import type { FastOptions, FastPath } from './types.ts';

export type { FastOptions, FastPath } from './types.ts';

/**
 * Why: Node's HTTP machinery on both sides (IncomingMessage/ServerResponse, undici's parser) costs
 * several times what a request costs nginx. Most requests are a GET with a handful of headers to an
 * app that answers with a length or chunks; those are parsed strictly here and relayed by framing.
 * Anything else, or any doubt, goes to the server's own connection handling, untouched: bad
 * requests, smuggling patterns, upgrades, pages, held requests, trusted proxies, ACME (edge/dispatch.ts says which, and
 * counts why).
 */
export function installFastPath(o: FastOptions): { close(): void; drain(): void } {
  const { server } = o;
  // http.Server handles a connection with the 'connection' listener its constructor adds: this
  // takes its place and calls it for the connections it gives back.
  const [httpConnection, ...others] = server.listeners('connection') as Array<(s: Socket) => void>;
  if (!httpConnection || others.length) throw new Error('the fast path must be installed on a fresh http.Server');
  server.off('connection', httpConnection);
  const fp: FastPath = {
    table: o.table, waker: o.waker, trust: o.trust, timeoutMs: o.timeoutMs, log: o.log, challenges: o.challenges,
    links: new Links(o.table, o.connections, o.queue),
    draining: false,
    handOver: (socket) => httpConnection.call(server, socket),
  };
  server.on('connection', (socket: Socket) => void new Conn(fp, socket));
  return { close: () => fp.links.close(), drain: () => void (fp.draining = true) };
}
