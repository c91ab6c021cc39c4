// The router's HTTPS listener: TLS with each SNI name's certificate, then the very handlers of the plain listener
// (HTTP/1.1) or, for a client that picks h2 by ALPN, the HTTP/2 engine (h2/). Its TLS defaults are every context's.
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SecureContext } from 'node:tls';
import { UserError } from '../src/core/index.ts';
import { LISTEN_BACKLOG, NODE_MAX_HEADER_SIZE } from './edge/limits.ts';

export interface HttpsOptions {
  port: number;
  /** Served to clients that send no SNI name, and whenever `context` fails: HTTPS always answers. */
  fallback: { keyPem: string; certPem: string };
  /**
   * The certificate for an SNI name. Asked on every handshake, so a renewed certificate serves new
   * connections at once while open ones keep theirs; it must not wait on a CA.
   */
  context: (servername: string) => SecureContext | Promise<SecureContext>;
  /**
   * The session ticket keys (48 bytes), the same in every router process, so a client resumes its TLS session on
   * whichever worker its next connection reaches; changed with setTicketKeys (the daemon's primary rotates them).
   */
  ticketKeys?: Buffer;
  /**
   * The OCSP answer to staple for a certificate (DER) when a client asks (status_request): one at hand, or null for
   * none; it must not wait on a responder (the daemon's primary fetches them, ocsp/stapler.ts).
   */
  staple?: (certificate: Buffer) => Buffer | null;
}

// Modern defaults (Mozilla's "intermediate"): TLS 1.2 and 1.3, forward-secret AEAD suites only (no CBC, no RSA key
// exchange), which is also what HTTP/2 requires (RFC 9113 §9.2.2). The SNI contexts are made with the same.
export const TLS_DEFAULTS = {
  minVersion: 'TLSv1.2',
  ciphers: [
    'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
} as const;
// How long a ticket resumes a session (its lifetime hint; the keys' rotation ends them sooner).
const SESSION_TIMEOUT_S = 6 * 3600;

// The plain server's handlers the TLS one shares: one routing path, whatever the transport.
const SHARED = ['request', 'upgrade', 'connect', 'clientError', 'checkContinue', 'checkExpectation'] as const;

/**
 * Listens for HTTPS with `plain`'s request, upgrade and client-error handlers (added before this call)
 * and the same parser settings. Its raw sockets go to `track`, so the router's close() ends them too.
 */
export async function listenTls(o: HttpsOptions, host: string | undefined, plain: http.Server, track: (s: Duplex) => void): Promise<https.Server> {
  const server = https.createServer({
    key: o.fallback.keyPem,
    cert: o.fallback.certPem,
    ...TLS_DEFAULTS,
    // h2 first: the server's preference picks it whenever the client offers it.
    ALPNProtocols: ['h2', 'http/1.1'],
    ...(o.ticketKeys && { ticketKeys: o.ticketKeys }),
    sessionTimeout: SESSION_TIMEOUT_S,
    SNICallback: (servername, done) => {
      Promise.resolve()
        .then(() => o.context(servername))
        .then((ctx) => done(null, ctx), () => done(null, undefined)); // undefined: the fallback certificate
    },
    // A client that stalls its handshake holds a socket; ten seconds is plenty on any real network.
    handshakeTimeout: 10_000,
    insecureHTTPParser: false,
    requireHostHeader: false, // as the plain server: the shared guard refuses it
    maxHeaderSize: NODE_MAX_HEADER_SIZE, // as the plain server's: room for the limits the shared handlers measure
  });
  for (const event of SHARED) for (const listener of plain.listeners(event)) server.on(event, listener as (...args: unknown[]) => void);
  server.maxHeadersCount = plain.maxHeadersCount;
  server.headersTimeout = plain.headersTimeout;
  server.requestTimeout = plain.requestTimeout;
  server.keepAliveTimeout = plain.keepAliveTimeout;
  server.on('connection', track);
  const staple = o.staple;
  // Node asks only when a client sent status_request, with the certificate the SNI name's context serves.
  if (staple) server.on('OCSPRequest', (certificate: Buffer, _issuer: Buffer, done: (err: Error | null, res: Buffer) => void) => done(null, staple(certificate) as Buffer));
  // Failed handshakes are routine (scanners, clients refusing a self-signed certificate): never fatal.
  server.on('tlsClientError', (_err: Error, socket: Duplex) => socket.destroy());
  await listen(server, o.port, host);
  // node:cluster hands a worker's listener the keys of the first worker that listened on the port (_setServerData):
  // after a rotation a new generation would get the old keys back. The keys given win.
  if (o.ticketKeys) server.setTicketKeys(o.ticketKeys);
  return server;
}

function listen(server: https.Server, port: number, host: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE'
      ? new UserError(`the HTTPS port ${port} is in use`, 'set MINICLOUD_HTTPS_PORT to a free port, or MINICLOUD_HTTPS_PORT=off for no HTTPS')
      : e));
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      server.on('error', () => {}); // accept errors (EMFILE) must not crash the router
      resolve();
    });
  });
}

export function tlsPort(server: https.Server): number {
  return (server.address() as AddressInfo).port;
}
