// Fast path: plain requests of the common shape go to the app over raw kept-alive links; all else is Node's HTTP server's.
import type { Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { Conn } from './conn.ts';
import { Links } from './links.ts';
import type { Door, FastOptions, FastPath } from './types.ts';

export type { FastOptions, FastPath } from './types.ts';

export interface FastEngine {
  close(): void;
  drain(): void;
  /**
   * Serves the HTTP/1.1 connections of an HTTPS server too (its decrypted bytes are read the same way); the server's
   * own HTTP/1.1 listener gets those the fast path gives back. Before anything else takes its 'secureConnection'
   * listeners (the HTTP/2 switch does, and then gives this the connections that did not pick h2).
   */
  serveTls(tls: TlsServer): void;
}

/**
 * Why: Node's HTTP machinery on both sides (IncomingMessage/ServerResponse, undici's parser) costs
 * several times what a request costs nginx. Most requests are a GET with a handful of headers to an
 * app that answers with a length or chunks; those are parsed strictly here and relayed by framing.
 * Anything else, or any doubt, goes to the server's own connection handling, untouched: bad
 * requests, smuggling patterns, upgrades, pages, held requests, trusted proxies, ACME (edge/dispatch.ts says which, and
 * counts why).
 */
export function installFastPath(o: FastOptions): FastEngine {
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
  };
  const plain: Door = { proto: 'http', handOver: (socket) => httpConnection.call(server, socket) };
  server.on('connection', (socket: Socket) => void new Conn(fp, plain, socket));
  return {
    close: () => fp.links.close(),
    drain: () => void (fp.draining = true),
    serveTls: (tls) => {
      // https.Server serves HTTP/1.1 with the listener its constructor adds for 'secureConnection'.
      const [h1, ...others] = tls.listeners('secureConnection') as Array<(s: TLSSocket) => void>;
      if (!h1 || others.length) throw new Error('the fast path must be given a fresh https.Server');
      tls.off('secureConnection', h1);
      const secure: Door = { proto: 'https', handOver: (socket) => h1.call(tls, socket as TLSSocket) };
      tls.on('secureConnection', (socket: TLSSocket) => void new Conn(fp, secure, socket));
    },
  };
}
