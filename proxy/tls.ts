// The router's HTTPS listener: TLS with each SNI name's certificate, then the very handlers of the plain listener.
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SecureContext } from 'node:tls';
import { UserError } from '../src/core/index.ts';
import { NODE_MAX_HEADER_SIZE } from './edge/limits.ts';

export interface HttpsOptions {
  port: number;
  /** Served to clients that send no SNI name, and whenever `context` fails: HTTPS always answers. */
  fallback: { keyPem: string; certPem: string };
  /**
   * The certificate for an SNI name. Asked on every handshake, so a renewed certificate serves new
   * connections at once while open ones keep theirs; it must not wait on a CA.
   */
  context: (servername: string) => SecureContext | Promise<SecureContext>;
}

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
  // Failed handshakes are routine (scanners, clients refusing a self-signed certificate): never fatal.
  server.on('tlsClientError', (_err: Error, socket: Duplex) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE'
      ? new UserError(`the HTTPS port ${o.port} is in use`, 'set MINICLOUD_HTTPS_PORT to a free port, or MINICLOUD_HTTPS_PORT=off for no HTTPS')
      : e));
    server.listen(o.port, host, () => {
      server.off('error', reject);
      server.on('error', () => {}); // accept errors (EMFILE) must not crash the router
      resolve();
    });
  });
  return server;
}

export function tlsPort(server: https.Server): number {
  return (server.address() as AddressInfo).port;
}
