// The certificates' renewer with real certificates (the self-signed issuer standing in for a CA): what it orders,
// when, one at a time, with backoff and the CA's rate limits, and what a restart finds on disk.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Certificates, RateLimitedError, SelfSignedIssuer, backoffMs, dueAt, type CertIssuer, type IssuedCert, type ServedName } from '../../src/certs/index.ts';
import { isUserError, loggerTo } from '../../src/core/index.ts';

const DAY = 86400_000;
const name = (domain: string, app = 'shop', o: Partial<ServedName> = {}): ServedName => ({ domain, app, isDefault: false, deployed: true, ...o });

/** A CA for the renewer: real certificates (self-signed, `validDays` long), every order recorded, failures on demand. */
class TestCa implements CertIssuer {
  readonly kind = 'acme' as const;
  orders: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  fail: Error | null = null;
  /** Holds each order until released, to change the world while one is in flight. */
  gate: Promise<void> | null = null;
  private readonly maker: SelfSignedIssuer;
  constructor(validDays = 90) { this.maker = new SelfSignedIssuer(validDays); }
  challenge(): string | null { return null; }
  async issue(domain: string): Promise<IssuedCert> {
    this.orders.push(domain);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      if (this.gate) await this.gate;
      if (this.fail) throw this.fail;
      return await this.maker.issue(domain);
    } finally {
      this.inFlight--;
    }
  }
}

const dirs: string[] = [];
const running: Certificates[] = [];
afterEach(() => {
  for (const c of running.splice(0)) c.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function certificates(ca: TestCa, served: () => ServedName[], dir = mkdtempSync(join(tmpdir(), 'mc-certs-'))) {
  dirs.push(dir);
  const lines: string[] = [];
  const c = new Certificates({ dir, acme: ca, directory: 'https://ca.test/dir', selfSigned: new SelfSignedIssuer(), served, log: loggerTo((l) => lines.push(l)), retryMinMs: 60_000 });
  running.push(c);
  await c.start();
  return { c, dir, lines };
}

const settle = async (c: Certificates, app = 'shop') => {
  for (let i = 0; i < 200; i++) {
    const r = c.report(app);
    if (r.domains.every((d) => d.status !== 'pending')) return r;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('still pending');
};

describe('Certificates and the renewer', () => {
  it('orders each orderable served name once, one at a time, and nothing else', async () => {
    const ca = new TestCa();
    const served = [name('a.example.com'), name('b.example.com'), name('*.example.com'), name('shop.localhost'), name('shop.apps.example.com', 'shop', { isDefault: true, deployed: false })];
    const { c } = await certificates(ca, () => served);
    const r = await settle(c);
    expect(ca.orders.sort()).toEqual(['a.example.com', 'b.example.com']);
    expect(ca.maxInFlight).toBe(1);
    const by = Object.fromEntries(r.domains.map((d) => [d.domain, d]));
    expect(by['a.example.com']).toMatchObject({ status: 'valid', lastError: null });
    expect(by['*.example.com']).toMatchObject({ status: 'self-signed', reason: expect.stringContaining('wildcard') });
    expect(by['shop.localhost']).toMatchObject({ status: 'self-signed', reason: expect.stringContaining('localhost') });
    expect(by['shop.apps.example.com']).toMatchObject({ status: 'self-signed', reason: expect.stringContaining('deploy') });
  });

  it('asks again right before each order: a name removed while another was ordered is never requested', async () => {
    const ca = new TestCa();
    let release!: () => void;
    ca.gate = new Promise((r) => (release = r));
    let served = [name('a.example.com'), name('b.example.com')];
    const { c } = await certificates(ca, () => served);
    expect(ca.orders).toHaveLength(1); // the first order waits at the gate
    const first = ca.orders[0]!;
    served = served.filter((n) => n.domain === first);
    c.sync();
    release();
    await settle(c);
    expect(ca.orders).toEqual([first]);
  });

  it('records a failure and backs off, doubling per failure up to a day', async () => {
    const ca = new TestCa();
    ca.fail = new Error('connection refused by the CA');
    const { c, lines } = await certificates(ca, () => [name('a.example.com')]);
    const r = await settle(c);
    expect(ca.orders).toEqual(['a.example.com']); // no retry before the backoff ends
    expect(r.domains[0]).toMatchObject({ status: 'failed', lastError: 'connection refused by the CA', issuer: 'self-signed' });
    const meta = c.store.load('a.example.com')!.meta;
    expect(meta.failures).toBe(1);
    expect(Date.parse(meta.nextAttempt!) - Date.parse(meta.lastAttempt!)).toBe(60_000);
    expect(lines.some((l) => l.includes('order failed'))).toBe(true);
    expect([1, 2, 3, 4, 20].map((n) => backoffMs(n, 60_000, DAY))).toEqual([60_000, 120_000, 240_000, 480_000, DAY]);
  });

  it("respects a CA's rate limit, even for a forced renewal", async () => {
    const ca = new TestCa();
    const retryAt = new Date(Date.now() + 3 * 3600_000);
    ca.fail = new RateLimitedError('rate limited by the CA: too many certificates', retryAt);
    const { c } = await certificates(ca, () => [name('a.example.com')]);
    await settle(c);
    expect(c.store.load('a.example.com')!.meta).toMatchObject({ rateLimited: true, nextAttempt: retryAt.toISOString() });
    const refused = await c.renew('shop').catch((e: unknown) => e);
    expect(isUserError(refused) && refused.message).toMatch(/rate-limited/);
    expect(ca.orders).toHaveLength(1);
  });

  it('renews when less than 30 days are left (a third of the life of a short-lived certificate), and not before', async () => {
    const meta = { domain: 'a', kind: 'acme' as const, directory: 'd', failures: 0, lastError: null, lastAttempt: null, nextAttempt: null };
    const now = Date.now();
    const at = (days: number) => new Date(now + days * DAY).toISOString();
    expect(dueAt({ ...meta, notBefore: at(0), notAfter: at(90) }, 'd', 30 * DAY)).toBe(now + 60 * DAY);
    expect(dueAt({ ...meta, notBefore: at(-80), notAfter: at(10) }, 'd', 30 * DAY)).toBe(now - 20 * DAY); // overdue: now
    expect(dueAt({ ...meta, notBefore: at(0), notAfter: at(6) }, 'd', 30 * DAY)).toBe(now + 4 * DAY); // a 6-day certificate
    expect(dueAt({ ...meta, notBefore: at(0), notAfter: at(90) }, 'other-directory', 30 * DAY)).toBe(0); // staging → production
    expect(dueAt({ ...meta, notBefore: at(0), notAfter: at(90) }, 'd', 30 * DAY, true)).toBe(0);
    expect(dueAt({ ...meta, notBefore: at(0), notAfter: at(90), nextAttempt: at(61) }, 'd', 30 * DAY)).toBe(now + 61 * DAY);

    // A short-lived certificate (10 days) is not reordered as soon as it arrives.
    const shortLived = new TestCa(10);
    const { c } = await certificates(shortLived, () => [name('a.example.com')]);
    const r = await settle(c);
    expect(shortLived.orders).toEqual(['a.example.com']);
    expect(Date.parse(r.domains[0]!.nextAttempt!)).toBeGreaterThan(Date.now() + 5 * DAY);
  });

  it('keeps certificates on disk (keys 0600) and finds them after a restart without ordering again', async () => {
    const ca = new TestCa();
    const { c, dir } = await certificates(ca, () => [name('a.example.com')]);
    const serial = (await settle(c)).domains[0]!.serial;
    c.stop();
    expect(statSync(join(dir, 'a.example.com', 'key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'a.example.com')).mode & 0o777).toBe(0o700);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const again = new TestCa();
    const { c: c2 } = await certificates(again, () => [name('a.example.com')], dir);
    expect((await settle(c2)).domains[0]).toMatchObject({ status: 'valid', serial });
    expect(again.orders).toEqual([]);
  });

  it('picks the certificate by SNI: exact name, then its wildcard, else the fallback', async () => {
    const ca = new TestCa();
    ca.fail = new Error('offline');
    const { c } = await certificates(ca, () => [name('a.example.com'), name('*.wild.example.com')]);
    const { X509Certificate } = await import('node:crypto');
    const { TLSSocket } = await import('node:tls');
    const subject = async (sni: string | null) => {
      const ctx = await c.context(sni);
      // The context's own certificate, read back through a socket that uses it.
      const sock = new TLSSocket(null as never, { secureContext: ctx, isServer: true });
      const pem = sock.getX509Certificate() ?? null;
      sock.destroy();
      return pem ? new X509Certificate(pem.raw).subject.split('\n').find((l) => l.startsWith('CN='))?.slice(3) : null;
    };
    expect(await subject('a.example.com')).toBe('a.example.com');
    expect(await subject('x.wild.example.com')).toBe('*.wild.example.com');
    expect(await subject('y.x.wild.example.com')).toBe('minicloud'); // a wildcard covers one label
    expect(await subject('elsewhere.org')).toBe('minicloud');
    expect(await subject(null)).toBe('minicloud');
  });
});
