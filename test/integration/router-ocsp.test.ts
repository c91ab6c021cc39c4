// OCSP stapling in the router daemon, against a real responder (`openssl ocsp`) of a CA made in the test: a client
// that asks (status_request) gets the CA's checked answer stapled, on each worker; a revocation reaches the staple at
// the next refresh; a responder that is down, slow, answers garbage, answers about another certificate or is signed by a
// stranger never delays a handshake and gets no staple (a warning in the log, once); the answer kept on disk staples
// at once after the daemon restarts, responder down or not.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SelfSignedIssuer } from '../../src/certs/index.ts';
import { ensureRouterDaemon } from '../../src/router-daemon/start-daemon.ts';
import { stopRouterDaemon } from '../../src/router-daemon/index.ts';
import type { CertSet } from '../../proxy/daemon/protocol.ts';
import { freePort, until } from '../helpers/net.ts';
import { startTestCa, type TestCa } from '../helpers/ocsp-ca.ts';
import { startRouterDaemon, type TestDaemon } from '../helpers/router-daemon.ts';

let ca: TestCa;
let daemon: TestDaemon;
let certs: CertSet;
const N = (what: string) => `ocsp-${what}.staple.test`;
const SERIALS = { good: 'A001', revoke: 'A002', stranger: 'A003', other: 'A004', garbage: 'A005', slow: 'A006', down: 'A007' } as const;
const ROUTES = [{ app: 'stapled', hosts: [...Object.keys(SERIALS), 'none'].map(N), upstreams: [], state: 'stopped' as const }];
// Node's TLSSocket option, which connect() takes but its types leave out.
const ASK_STAPLE = { requestOCSP: true } as ConnectionOptions;
const routerDir = () => join(daemon.dir, 'router');
const routerLog = () => readFileSync(join(routerDir(), 'router.log'), 'utf8');

beforeAll(async () => {
  ca = await startTestCa();
  const downPort = await freePort(); // nothing listens there
  const names: CertSet['names'] = {};
  for (const [what, serial] of Object.entries(SERIALS)) {
    names[N(what)] = ca.leaf(N(what), serial, what === 'down' ? { url: `http://127.0.0.1:${downPort}/` } : what === 'revoke' ? 'ok' : what === 'good' ? 'ok' : (what as 'stranger'));
  }
  await ca.answer();
  const issuer = new SelfSignedIssuer();
  names[N('none')] = await issuer.issue(N('none'));
  certs = { fallback: await issuer.issue('minicloud'), names };
  daemon = await startRouterDaemon({ routes: ROUTES, certs, workers: 2, settings: { httpsPort: await freePort() } });
  expect(daemon.status.workerPids).toHaveLength(2);
});
afterAll(async () => {
  await daemon?.stop();
  await ca?.stop();
});

/** A handshake that asks for a staple (as browsers do): what was stapled, and how long the handshake took (ms). */
function handshake(what: string): Promise<{ staple: Buffer | null; ms: number }> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    let staple: Buffer | null = null;
    const s = connect({ host: '127.0.0.1', port: daemon.status.settings.httpsPort!, servername: N(what), ca: ca.root, ...ASK_STAPLE }, () => {
      s.destroy();
      resolve({ staple, ms: performance.now() - t });
    });
    s.on('OCSPResponse', (r: Buffer) => void (staple = r?.length ? r : null));
    s.setTimeout(30_000, () => s.destroy(new Error(`no handshake for ${N(what)} in 30 s`)));
    s.on('error', reject);
  });
}

/** What `openssl ocsp` itself reads in a staple for the leaf of `what`: "good", "revoked", or its complaint. */
function opensslSays(what: keyof typeof SERIALS, staple: Buffer): string {
  const file = join(ca.dir, `staple-${what}.der`);
  writeFileSync(file, staple);
  const leaf = join(ca.dir, `leaf-${SERIALS[what]}.pem`);
  const out = execFileSync('openssl', ['ocsp', '-respin', file, '-issuer', join(ca.dir, 'int.pem'), '-cert', leaf, '-CAfile', join(ca.dir, 'root.pem'), '-verify_other', join(ca.dir, 'int.pem')], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  return out.match(/\.pem: (\w+)/)?.[1] ?? out;
}

it('staples the CA\'s good answer to every handshake that asks, on each worker', async () => {
  await until('a staple for the good certificate', async () => (await handshake('good')).staple ?? undefined, 60_000);
  // Round-robin: six connections in a row reach both workers.
  const six = await Promise.all(Array.from({ length: 6 }, () => handshake('good')));
  for (const h of six) {
    expect(h.staple).not.toBeNull();
    expect(opensslSays('good', h.staple!)).toBe('good');
  }
  // Fetched once by the daemon, not per worker nor per handshake.
  expect(ca.asked.ok ?? 0).toBeLessThan(6);
  expect(routerLog()).toContain(`OCSP for ${N('good')}: good, stapled until`);
});

it('never asks about a certificate that names no responder, and staples nothing to it', async () => {
  const h = await new Promise<Buffer | null>((resolve, reject) => {
    let staple: Buffer | null = null;
    const s = connect({ host: '127.0.0.1', port: daemon.status.settings.httpsPort!, servername: N('none'), rejectUnauthorized: false, ...ASK_STAPLE }, () => (s.destroy(), resolve(staple)));
    s.on('OCSPResponse', (r: Buffer) => void (staple = r?.length ? r : null));
    s.on('error', reject);
  });
  expect(h).toBeNull();
  expect(routerLog()).not.toContain(N('none'));
});

it('refuses answers signed by a stranger, about another certificate, or garbage; a down or slow responder delays no handshake', async () => {
  // Each one failed once (the slow one after the daemon's 10 s timeout): one warning each, whatever the handshakes do.
  const failing = ['stranger', 'other', 'garbage', 'down', 'slow'];
  await until('a warning for each failing responder', async () => failing.every((w) => routerLog().includes(`OCSP for ${N(w)} failed`)) || undefined, 90_000);
  const log = routerLog();
  expect(log).toMatch(new RegExp(`OCSP for ${N('stranger')} failed: the response is not signed by the certificate's issuer`));
  expect(log).toMatch(new RegExp(`OCSP for ${N('other')} failed: the response is about another certificate`));
  expect(log).toMatch(new RegExp(`OCSP for ${N('garbage')} failed: the responder's answer is not an OCSP response`));
  expect(log).toMatch(new RegExp(`OCSP for ${N('slow')} failed: .* did not answer within 10 s`));
  for (const w of failing) {
    for (let i = 0; i < 4; i++) {
      const h = await handshake(w);
      expect(h.staple, w).toBeNull();
      expect(h.ms, w).toBeLessThan(3000); // no wait on a responder at all; generous for a loaded machine
    }
    expect(routerLog().split(`OCSP for ${N(w)} failed`).length - 1, w).toBe(1);
  }
});

it('staples the revocation once the CA says so, at the next refresh (half the answer\'s one-minute validity)', async () => {
  const first = await until('a staple for the certificate to revoke', async () => (await handshake('revoke')).staple ?? undefined, 60_000);
  expect(opensslSays('revoke', first)).toBe('good');
  await ca.revoke(SERIALS.revoke);
  await until('the revocation stapled', async () => {
    const h = await handshake('revoke');
    return h.staple && opensslSays('revoke', h.staple) === 'revoked' ? true : undefined;
  }, 180_000);
  expect(routerLog()).toContain(`the certificate of ${N('revoke')} is REVOKED`);
  // Both workers: never the old good answer again.
  for (const h of await Promise.all(Array.from({ length: 4 }, () => handshake('revoke')))) expect(opensslSays('revoke', h.staple!)).toBe('revoked');
});

it('keeps its answers on disk: after a daemon restart with the responder down, it staples at once', async () => {
  await until('a staple for the good certificate', async () => (await handshake('good')).staple ?? undefined, 60_000);
  expect(readdirSync(join(routerDir(), 'ocsp')).filter((f) => f.endsWith('.der')).length).toBeGreaterThanOrEqual(2);
  ca.offline = true;
  await stopRouterDaemon(routerDir());
  const again = await ensureRouterDaemon({ dir: routerDir(), settings: daemon.status.settings, routes: ROUTES, certs, say: () => {} });
  daemon.client = again.client;
  expect(again.status.pid).not.toBe(daemon.status.pid);
  const h = await handshake('good');
  expect(h.staple).not.toBeNull();
  expect(opensslSays('good', h.staple!)).toBe('good');
});
