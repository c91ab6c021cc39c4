// The router daemon's TLS handshakes, as a client controls them (SNI): a served name whose certificate minicloud
// has not sent yet waits for it a bounded time, then gets the fallback; any other name gets the fallback at once;
// a name whose certificate arrives meanwhile gets it as soon as it arrives.
import { connect } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SelfSignedIssuer } from '../../src/certs/index.ts';
import type { IssuedCert } from '../../src/certs/index.ts';
import { freePort } from '../helpers/net.ts';
import { startRouterDaemon, type TestDaemon } from '../helpers/router-daemon.ts';

let daemon: TestDaemon;
let fallback: IssuedCert;
const issuer = new SelfSignedIssuer();
const ROUTES = [{ app: 'shop', hosts: ['shop.localhost', 'late.localhost'], upstreams: [], state: 'stopped' as const }];

beforeAll(async () => {
  fallback = await issuer.issue('minicloud');
  daemon = await startRouterDaemon({ routes: ROUTES, certs: { fallback, names: {} }, settings: { httpsPort: await freePort() } });
});
afterAll(async () => { await daemon?.stop(); });

/** The subject CN the daemon serves for `servername`, and how long the handshake took (ms). */
function handshake(servername: string): Promise<{ cn: string; ms: number }> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: daemon.status.settings.httpsPort!, servername, rejectUnauthorized: false }, () => {
      const cn = String(s.getPeerCertificate().subject?.CN ?? '');
      s.destroy();
      resolve({ cn, ms: performance.now() - t });
    });
    s.setTimeout(30_000, () => s.destroy(new Error(`no handshake for ${servername} in 30 s`)));
    s.on('error', reject);
  });
}

it('answers a name it does not serve with the fallback at once', async () => {
  const r = await handshake('stranger.example.org');
  expect(r.cn).toBe('minicloud');
  expect(r.ms).toBeLessThan(2000); // no wait at all; generous for a busy machine
});

it('holds a served name without a certificate at most a few seconds, then serves the fallback', async () => {
  const r = await handshake('shop.localhost');
  expect(r.cn).toBe('minicloud');
  expect(r.ms).toBeGreaterThan(4000); // it waited for the certificate (5 s)
  expect(r.ms).toBeLessThan(9000); // and no longer: a client cannot hold a handshake open by naming a served host
});

it('serves a served name its certificate as soon as minicloud sends it', async () => {
  const late = await issuer.issue('late.localhost');
  const pending = handshake('late.localhost');
  await new Promise((r) => setTimeout(r, 500));
  await daemon.client.certs({ fallback, names: { 'late.localhost': late } });
  const r = await pending;
  expect(r.cn).toBe('late.localhost');
  expect(r.ms).toBeLessThan(4000);
});
