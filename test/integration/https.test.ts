// HTTPS end to end: certificates from Pebble (a real ACME CA) through real HTTP-01 challenges the router answers,
// SNI, the self-signed stand-in, a renewal under load without a failed request, and names that are never ordered.
import { readFileSync, statSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertInfo, CertsReport } from '../../src/core/index.ts';
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { freePort, get, until } from '../helpers/net.ts';
import { startPebble, type Pebble } from '../helpers/pebble.ts';
import { startRedis } from '../helpers/redis.ts';

const BASE = 'apps.example.net'; // MINICLOUD_DOMAIN: not localhost, so default names can be ordered too
const APP = 'shop';
const DEFAULT = `${APP}.${BASE}`;
const CUSTOM = 'www.shop-example.org';
const WILDCARD = '*.wild.shop-example.org';
const NOT_SERVED = 'nobody.example.org';
const IDLE = `idle.${BASE}`; // an app that is never deployed
const BROKEN = 'broken.shop-example.org'; // its DNS points elsewhere at first

let redis: Awaited<ReturnType<typeof startRedis>>;
let pebble: Pebble;
let mc: Minicloud;
let root: string;

interface Seen { status: number; body: string; serial: string; issuer: string; issuerOrg: string; subject: string; authorized: boolean }

/** A certificate name field (an array when repeated). */
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] ?? '' : v ?? '');

/** One HTTPS request to the router for `host` (SNI and Host), on a new connection unless an agent is given. */
function httpsGet(host: string, o: { ca?: string; agent?: https.Agent } = {}): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: mc.httpsPort, servername: host, path: '/', headers: { host },
      ca: o.ca, rejectUnauthorized: o.ca !== undefined, agent: o.agent ?? false, timeout: 10_000,
    }, (res) => {
      const socket = res.socket as TLSSocket;
      const cert = socket.getPeerCertificate();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({
        status: res.statusCode ?? 0, body, serial: cert.serialNumber, issuer: one(cert.issuer.CN), issuerOrg: one(cert.issuer.O),
        subject: one(cert.subject.CN), authorized: socket.authorized,
      }));
    });
    req.on('timeout', () => req.destroy(new Error('HTTPS request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Only the TLS handshake for `host` (the HTTP answer may be held, e.g. for an app still starting): its certificate. */
function handshake(host: string): Promise<{ issuerOrg: string; subject: string; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: mc.httpsPort, servername: host, rejectUnauthorized: false, timeout: 10_000 }, () => {
      const cert = socket.getPeerCertificate();
      resolve({ issuerOrg: one(cert.issuer.O), subject: one(cert.subject.CN), authorized: socket.authorized });
      socket.destroy();
    });
    socket.on('timeout', () => socket.destroy(new Error('TLS handshake timed out')));
    socket.on('error', reject);
  });
}

const report = async () => (await mc.api<CertsReport>('GET', `/api/apps/${APP}/certs`)).body;
const certOf = async (domain: string): Promise<CertInfo | undefined> => (await report()).domains.find((d) => d.domain === domain);
/** The store's valid certificate for `domain` (another than `notSerial`) once the router serves it too: the router daemon is told a moment after the store has it. */
const validCert = (domain: string, notSerial?: string | null) => until(`a certificate for ${domain}, served`, async () => {
  const c = await certOf(domain);
  if (c?.status !== 'valid' || c.serial === notSerial) return undefined;
  const seen = await httpsGet(domain, { ca: root }).catch(() => null);
  return seen?.serial === c.serial ? c : undefined;
}, 60_000);

beforeAll(async () => {
  redis = await startRedis();
  const httpPort = await freePort();
  pebble = await startPebble(httpPort); // its HTTP-01 checks go to the router's plain port
  mc = await startMinicloud(redis.url, {
    MINICLOUD_HTTP_PORT: String(httpPort),
    MINICLOUD_DOMAIN: BASE,
    MINICLOUD_RUNTIME: 'process', // HTTPS is the router's business; no need for images here
    MINICLOUD_ACME_DIRECTORY: pebble.directory,
    MINICLOUD_ACME_EMAIL: 'ops@shop-example.org',
    MINICLOUD_ACME_CA_BUNDLE: pebble.listenerCa,
    // The names resolve to 127.0.0.1 only in Pebble's own DNS, not for minicloud's self-check.
    MINICLOUD_ACME_SELF_CHECK: 'off',
    MINICLOUD_ACME_POLL_INTERVAL: '0.1',
    MINICLOUD_ACME_RETRY_MIN: '1',
  });
  root = await pebble.root();
  expect((await mc.api('POST', '/api/apps', { name: APP })).status).toBe(201);
  expect((await mc.api('POST', '/api/apps', { name: 'idle' })).status).toBe(201);
});

afterAll(async () => {
  await mc?.stop();
  await pebble?.stop();
  await redis?.stop();
});

describe('HTTPS with ACME (Pebble)', () => {
  it('serves a self-signed certificate at once while no CA certificate exists', async () => {
    // A wildcard domain: served by SNI with its own self-signed certificate, never sent to the CA (HTTP-01 cannot).
    expect((await mc.api('POST', `/api/apps/${APP}/domains`, { domain: WILDCARD })).status).toBe(201);
    const sub = await handshake('a.wild.shop-example.org');
    expect(sub).toMatchObject({ issuerOrg: 'minicloud self-signed', subject: WILDCARD, authorized: false });
    expect(await certOf(WILDCARD)).toMatchObject({ status: 'self-signed', reason: expect.stringContaining('wildcard') });
    // Not deployed yet: its default name is not ordered, and the handshake completes at once anyway.
    const before = await handshake(DEFAULT);
    expect(before).toMatchObject({ issuerOrg: 'minicloud self-signed', subject: DEFAULT, authorized: false });
    expect(await certOf(DEFAULT)).toMatchObject({ status: 'self-signed', reason: expect.stringContaining('deploy') });
    // The router answers challenge fetches itself, for any host; a token it did not make is a 404.
    const unknown = await get(mc.httpPort, NOT_SERVED, '/.well-known/acme-challenge/not-ours');
    expect(unknown).toMatchObject({ status: 404, body: 'no such challenge\n' });
    // A name nobody serves gets the fallback certificate and the router's 404.
    const stranger = await httpsGet(NOT_SERVED);
    expect(stranger).toMatchObject({ issuerOrg: 'minicloud self-signed', subject: 'minicloud', status: 404 });
  });

  it("orders the default name's certificate on the first deploy, through a real HTTP-01 challenge", async () => {
    const r = await push(fixtureRepo('node-hello'), mc.gitUrl(APP));
    expect(r.code, r.output).toBe(0);
    const cert = await validCert(DEFAULT);
    const seen = await httpsGet(DEFAULT, { ca: root });
    expect(seen.authorized).toBe(true);
    expect(seen.status).toBe(200);
    expect(JSON.parse(seen.body)).toMatchObject({ version: 'v1' });
    expect(seen.serial).toBe(cert.serial);
    expect(seen.issuer).toMatch(/^Pebble Intermediate CA/);
    expect(cert.issuer).toBe(seen.issuer);
    // Pebble validated over HTTP on the router's port (its log names the challenge URL).
    expect(pebble.output()).toContain(`http://${DEFAULT}:${mc.httpPort}/.well-known/acme-challenge/`);
  });

  it('orders a certificate for a custom domain when it is added, and serves it by SNI', async () => {
    const started = performance.now();
    expect((await mc.api('POST', `/api/apps/${APP}/domains`, { domain: CUSTOM })).status).toBe(201);
    const cert = await validCert(CUSTOM);
    console.log(`[https] ${CUSTOM}: domains:add → certificate from Pebble in ${Math.round(performance.now() - started)} ms`);
    const seen = await httpsGet(CUSTOM, { ca: root });
    expect(seen).toMatchObject({ authorized: true, status: 200, serial: cert.serial, subject: CUSTOM });
    // The default name keeps its own certificate.
    expect((await httpsGet(DEFAULT, { ca: root })).subject).toBe(DEFAULT);
  });

  it('minicloud certs shows each name with its status, issuer and expiry', async () => {
    const r = await mc.cli('certs', APP);
    expect(r.code, r.stderr).toBe(0);
    const custom = r.stdout.split('\n').find((l) => l.startsWith(CUSTOM)) ?? '';
    expect(custom).toMatch(/\bvalid\b/);
    expect(custom).toContain('Pebble Intermediate CA');
    const expires = new Date((await certOf(CUSTOM))!.notAfter!).getFullYear();
    expect(custom).toContain(`${expires}-`);
    expect(custom).toMatch(/renews \d{4}-/);
    expect(r.stdout).toMatch(/DOMAIN\s+STATUS\s+ISSUER\s+EXPIRES/);
  });

  it('renews on demand while HTTPS requests keep coming: the new certificate serves and no request fails', async () => {
    const old = (await certOf(CUSTOM))!;
    const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const serials = new Set<string>();
    const failures: string[] = [];
    let requests = 0;
    let stop = false;
    let newSeen = 0;
    // Two clients on fresh connections (each handshake picks the certificate anew), one on a kept-alive one.
    const loop = async (agent?: https.Agent) => {
      while (!stop) {
        try {
          const s = await httpsGet(CUSTOM, { ca: root, agent });
          requests++;
          serials.add(s.serial);
          if (s.status !== 200) failures.push(`status ${s.status}`);
          if (s.serial !== old.serial) newSeen++;
        } catch (e) {
          failures.push(String(e));
        }
      }
    };
    const loops = [loop(), loop(), loop(keepAlive)];
    try {
      await until('some requests before the renewal', async () => (requests >= 20 ? true : undefined));
      const r = await mc.cli('certs:renew', APP, '--domain', CUSTOM);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const renewed = await validCert(CUSTOM, old.serial);
      await until('the new certificate on new connections', async () => (newSeen >= 10 ? true : undefined));
      expect(renewed.serial).not.toBe(old.serial);
      expect(serials).toEqual(new Set([old.serial, renewed.serial]));
    } finally {
      stop = true;
      await Promise.all(loops);
      keepAlive.destroy();
    }
    console.log(`[https] renewal under load: ${requests} requests, ${failures.length} failed`);
    expect(failures).toEqual([]);
  });

  it('keeps certificates across a restart, keys mode 0600 in directories 0700', async () => {
    const before = (await certOf(CUSTOM))!;
    const orders = countOrders();
    await mc.restart();
    expect((await httpsGet(CUSTOM, { ca: root })).serial).toBe(before.serial);
    expect((await certOf(CUSTOM))!.serial).toBe(before.serial);
    expect(countOrders()).toBe(orders);
    const dir = join(mc.dataDir, 'certs', CUSTOM);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(mc.dataDir, 'certs', '_acme', 'account.key')).mode & 0o777).toBe(0o600);
  });

  it('shows a failed order with its error, retries it with a doubling backoff, and gets the certificate once DNS points here', async () => {
    await pebble.pointAt(BROKEN, '127.0.0.2'); // nothing listens there: Pebble's HTTP-01 check is refused
    expect((await mc.api('POST', `/api/apps/${APP}/domains`, { domain: BROKEN })).status).toBe(201);
    const failed = await until('a failed order', async () => {
      const c = await certOf(BROKEN);
      return c?.status === 'failed' ? c : undefined;
    });
    expect(failed).toMatchObject({ issuer: 'self-signed', lastError: expect.stringMatching(/127\.0\.0\.2|refused/i) });
    // The CLI takes about as long as a retry (1 s here), so it may catch the order pending again: read it until
    // it shows the failure between two tries.
    const out = await until('the CLI showing the failed order', async () => {
      const o = (await mc.cli('certs', APP)).stdout;
      return /\bfailed\b.*next try \d{4}-/.test(o.split('\n').find((l) => l.startsWith(BROKEN)) ?? '') ? o : undefined;
    });
    expect(out).toContain(`${BROKEN}: last error: `);
    // Each failure in a row waits twice as long (MINICLOUD_ACME_RETRY_MIN=1): 1 s, 2 s, 4 s, … (the CLI above may
    // have seen more than one failure go by, so the gap is checked against the count the file gives).
    const meta = () => JSON.parse(readFileSync(join(mc.dataDir, 'certs', BROKEN, 'meta.json'), 'utf8')) as { failures: number; lastAttempt: string; nextAttempt: string };
    const second = await until('a second failure', async () => {
      const m = meta();
      return m.failures >= 2 ? m : undefined;
    });
    expect(Date.parse(second.nextAttempt) - Date.parse(second.lastAttempt)).toBe(1000 * 2 ** (second.failures - 1));
    await pebble.unpoint(BROKEN);
    const cert = await validCert(BROKEN);
    expect(await httpsGet(BROKEN, { ca: root })).toMatchObject({ authorized: true, serial: cert.serial });
    expect(await certOf(BROKEN)).toMatchObject({ lastError: null });
  });

  it('never orders a name the router does not serve, nor one HTTP-01 cannot validate', async () => {
    // The wildcard, now that the app runs: still its self-signed certificate, still no order.
    expect(await httpsGet('b.wild.shop-example.org')).toMatchObject({ status: 200, issuerOrg: 'minicloud self-signed', subject: WILDCARD });
    // Forcing a name that is not served is refused before any order.
    const forced = await mc.api<{ error: string }>('POST', `/api/apps/${APP}/certs/renew`, { domain: NOT_SERVED });
    expect(forced.status).toBe(404);
    // A removed domain can no longer be forced either.
    expect((await mc.api('DELETE', `/api/apps/${APP}/domains/${CUSTOM}`)).status).toBe(204);
    expect((await mc.api('POST', `/api/apps/${APP}/certs/renew`, { domain: CUSTOM })).status).toBe(404);
    // Pebble's log names every identifier it validates (each order here is validated: no self-check, no
    // authorization reuse): none of these names ever reached it, nor the never-deployed app's.
    const log = pebble.output();
    for (const name of [NOT_SERVED, 'wild.shop-example.org', IDLE]) expect(log).not.toContain(name);
  });
});

/** How many orders Pebble has seen (one "Added order" line each). */
function countOrders(): number {
  return pebble.output().split('\n').filter((l) => /added order/i.test(l)).length;
}
