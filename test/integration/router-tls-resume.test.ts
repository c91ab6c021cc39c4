// TLS in every router worker, with the daemon's shared session ticket keys: a client's second connection resumes its
// session (no full handshake) even when it reaches the other worker; the defaults refuse TLS 1.1 and weak suites.
// (node:cluster also hands later workers the first one's keys; the primary's keys are what survive a rotation.)
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SelfSignedIssuer } from '../../src/certs/index.ts';
import { freePort } from '../helpers/net.ts';
import { startRouterDaemon, type TestDaemon } from '../helpers/router-daemon.ts';

let daemon: TestDaemon;
const HOST = 'shop.localhost';

beforeAll(async () => {
  const issuer = new SelfSignedIssuer();
  const certs = { fallback: await issuer.issue('minicloud'), names: { [HOST]: await issuer.issue(HOST) } };
  const routes = [{ app: 'shop', hosts: [HOST], upstreams: [], state: 'stopped' as const }];
  daemon = await startRouterDaemon({ routes, certs, workers: 2, settings: { httpsPort: await freePort() } });
  expect(daemon.status.workerPids).toHaveLength(2);
});
afterAll(async () => { await daemon?.stop(); });

interface Handshake { reused: boolean; session: Buffer; protocol: string | null; cn: string }

/**
 * One TLS connection. Without `session`: resolves once the server's session ticket came (TLS 1.3 sends it after the
 * handshake); with one: once the handshake is done (a resumed TLS 1.2 session gets no new ticket).
 */
function handshake(o: ConnectionOptions = {}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const s: TLSSocket = connect({ host: '127.0.0.1', port: daemon.status.settings.httpsPort!, servername: HOST, rejectUnauthorized: false, ...o });
    const done = (session: Buffer) => {
      resolve({ reused: s.isSessionReused(), session, protocol: s.getProtocol(), cn: String(s.getPeerCertificate().subject?.CN ?? '') });
      s.destroy();
    };
    if (o.session) s.once('secureConnect', () => done(o.session as Buffer));
    else s.once('session', done);
    s.setTimeout(30_000, () => s.destroy(new Error('no TLS session ticket in 30 s')));
    s.on('error', reject);
  });
}

it('resumes a TLS session on later connections, whichever worker takes them', async () => {
  const first = await handshake();
  expect(first.reused).toBe(false);
  expect(first.cn).toBe(HOST);
  // The primary deals connections out round-robin: of several in a row, some reach the worker that did not issue the ticket.
  for (let i = 0; i < 4; i++) {
    const again = await handshake({ session: first.session });
    expect(again.reused, `connection ${i + 2} resumed`).toBe(true);
  }
});

it('resumes TLS 1.2 sessions too', async () => {
  const first = await handshake({ maxVersion: 'TLSv1.2' });
  expect(first.protocol).toBe('TLSv1.2');
  for (let i = 0; i < 3; i++) expect((await handshake({ maxVersion: 'TLSv1.2', session: first.session })).reused).toBe(true);
});

it('refuses TLS 1.1 and suites without forward secrecy', async () => {
  await expect(handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toThrow();
  await expect(handshake({ maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA:AES256-SHA:AES128-GCM-SHA256' })).rejects.toThrow();
});
