// Brute force and client addresses: wrong tokens are limited per client address as the router computed it
// (trusted proxies honoured as the router honours them; a local process cannot claim another address), and the
// session cookie is __Host- prefixed over HTTPS while the dashboard still works over plain-HTTP localhost.
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURES_PER_MINUTE } from '../../src/api/access/index.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { requestFrom, type Reply } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;
const PROXY = '127.0.0.40'; // a proxy in front of the router (MINICLOUD_TRUSTED_PROXIES)
const wrong = `wrong-${'x'.repeat(40)}`;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_TRUSTED_PROXIES: PROXY });
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

/** GET /api/apps through the router's admin.<domain> route, from `address`, with `token`. */
const viaRouter = (address: string, token: string, headers: Record<string, string> = {}) =>
  requestFrom(address, `http://127.0.0.1:${mc.httpPort}/api/apps`, { headers: { host: 'admin.localhost', authorization: `Bearer ${token}`, ...headers } });
const direct = (address: string, token: string, headers: Record<string, string> = {}) =>
  requestFrom(address, `${mc.apiUrl}/api/apps`, { headers: { authorization: `Bearer ${token}`, ...headers } });

async function lastAudit(): Promise<{ action: string; address: string }> {
  return (await mc.api<{ action: string; address: string }[]>('GET', '/api/audit?n=1')).body[0]!;
}

describe('wrong tokens', () => {
  it('answers 429 with the wait after the limit, for 1,000 tries from one address; another address is unaffected', async () => {
    const seen: number[] = [];
    for (let i = 0; i < 1000; i++) seen.push((await viaRouter('127.0.0.20', wrong)).status);
    expect(seen.slice(0, FAILURES_PER_MINUTE)).toEqual(Array(FAILURES_PER_MINUTE).fill(401));
    expect(new Set(seen.slice(FAILURES_PER_MINUTE))).toEqual(new Set([429]));
    const limited = await viaRouter('127.0.0.20', mc.token);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.parse(limited.body).error).toMatch(/too many failed attempts from 127\.0\.0\.20; try again in \d+ s/);
    expect((await viaRouter('127.0.0.21', mc.token)).status).toBe(200);
    expect((await viaRouter('127.0.0.21', wrong)).status).toBe(401);
    expect((await direct('127.0.0.1', mc.token)).status).toBe(200); // the CLI on the server is another client too
  });

  it('limits git passwords the same way', async () => {
    const git = (address: string, password: string) => requestFrom(address, `${mc.apiUrl}/git/nope.git/info/refs?service=git-receive-pack`, {
      headers: { authorization: `Basic ${Buffer.from(`x:${password}`).toString('base64')}` },
    });
    for (let i = 0; i < FAILURES_PER_MINUTE; i++) expect((await git('127.0.0.25', wrong)).status).toBe(401);
    expect((await git('127.0.0.25', wrong)).status).toBe(429);
  });

  it("cannot be pinned on another client by a local process sending X-Forwarded-For (or a guessed proof) to the API port", async () => {
    const spoof = { 'x-forwarded-for': '127.0.0.26', 'x-minicloud-router': 'guess' };
    for (let i = 0; i < FAILURES_PER_MINUTE; i++) expect((await direct('127.0.0.22', wrong, spoof)).status).toBe(401);
    expect((await direct('127.0.0.22', wrong, spoof)).status).toBe(429); // counted against its own address
    expect((await viaRouter('127.0.0.26', mc.token)).status).toBe(200);
    expect((await direct('127.0.0.27', mc.token, spoof)).status).toBe(200);
    expect(await lastAudit()).toMatchObject({ address: '127.0.0.22' });
  });
});

describe('client addresses', () => {
  it("are the router's: a client's own X-Forwarded-For is not believed, a trusted proxy's is", async () => {
    await viaRouter('127.0.0.23', wrong, { 'x-forwarded-for': '192.0.2.1' });
    expect(await lastAudit()).toMatchObject({ action: 'token:failed', address: '127.0.0.23' });
    await viaRouter(PROXY, wrong, { 'x-forwarded-for': '198.51.100.7' });
    expect(await lastAudit()).toMatchObject({ action: 'token:failed', address: '198.51.100.7' });
    for (let i = 1; i < FAILURES_PER_MINUTE; i++) await viaRouter(PROXY, wrong, { 'x-forwarded-for': '198.51.100.7' });
    expect((await viaRouter(PROXY, mc.token, { 'x-forwarded-for': '198.51.100.7' })).status).toBe(429);
    expect((await viaRouter(PROXY, mc.token, { 'x-forwarded-for': '198.51.100.8' })).status).toBe(200);
  });
});

describe('the session cookie', () => {
  const login = (headers: Record<string, string>, https = false): Promise<Reply> => {
    const body = JSON.stringify({ token: mc.token });
    const h = { host: 'admin.localhost', 'content-type': 'application/json', ...headers };
    if (!https) return requestFrom('127.0.0.30', `http://127.0.0.1:${mc.httpPort}/dashboard/session`, { method: 'POST', headers: h, body });
    return tls('POST', '/dashboard/session', h, body);
  };
  const tls = (method: string, path: string, headers: Record<string, string>, body?: string) => new Promise<Reply>((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: mc.httpsPort, servername: 'admin.localhost', method, path, headers, rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });

  it('is a plain HttpOnly cookie over plain-HTTP localhost, and the dashboard works with it', async () => {
    const r = await login({});
    expect(r.status).toBe(201);
    const set = String(r.headers['set-cookie']);
    expect(set).toMatch(/^mc_session=[\w-]+; Max-Age=\d+; HttpOnly; SameSite=Strict; Path=\/$/);
    const apps = await requestFrom('127.0.0.30', `http://127.0.0.1:${mc.httpPort}/api/apps`, { headers: { host: 'admin.localhost', cookie: set.split(';')[0]! } });
    expect(apps.status).toBe(200);
  });

  it('is __Host- prefixed and Secure over HTTPS; a direct X-Forwarded-Proto does not make it so; a duplicate is ignored', async () => {
    const r = await login({}, true);
    expect(r.status).toBe(201);
    const set = String(r.headers['set-cookie']);
    expect(set).toMatch(/^__Host-mc_session=[\w-]+; Max-Age=\d+; HttpOnly; SameSite=Strict; Path=\/; Secure$/);
    const cookie = set.split(';')[0]!;
    expect((await tls('GET', '/api/apps', { host: 'admin.localhost', cookie })).status).toBe(200);
    expect((await tls('GET', '/api/apps', { host: 'admin.localhost', cookie: `${cookie}; ${cookie.replace(/=.*/, '=planted')}` })).status).toBe(401);
    // The un-prefixed name is not read over HTTPS (a sibling subdomain could have set it).
    expect((await tls('GET', '/api/apps', { host: 'admin.localhost', cookie: cookie.replace('__Host-', '') })).status).toBe(401);
    const spoofed = await requestFrom('127.0.0.31', `${mc.apiUrl}/dashboard/session`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' }, body: JSON.stringify({ token: mc.token }),
    });
    expect(String(spoofed.headers['set-cookie'])).toMatch(/^mc_session=.*Path=\/$/);
  });
});
