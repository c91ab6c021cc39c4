// Custom domains end to end: domains:add makes the router serve an app at a domain of yours, at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;

type Entry = { domain: string; default?: true; createdAt?: string };
type ApiError = { error: string; hint?: string };
const add = (app: string, domain: unknown) => mc.api<Entry & ApiError>('POST', `/api/apps/${app}/domains`, { domain });
const remove = (app: string, domain: string) => mc.api<ApiError | null>('DELETE', `/api/apps/${app}/domains/${encodeURIComponent(domain)}`);
const version = async (host: string) => {
  const r = await get(mc.httpPort, host);
  expect(r.status, `${host}: ${r.body}`).toBe(200);
  return JSON.parse(r.body) as { version: string };
};

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  expect((await mc.api('POST', '/api/apps', { name: 'hello' })).status).toBe(201);
  expect((await mc.api('POST', '/api/apps', { name: 'other' })).status).toBe(201);
  const r = await push(fixtureRepo('node-hello'), mc.gitUrl('hello'));
  expect(r.code, r.output).toBe(0);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

describe('custom domains', () => {
  it('serves the app at an added domain at once, and lists it after the default one', async () => {
    expect((await get(mc.httpPort, 'www.example.test')).status).toBe(404);
    const r = await add('hello', 'WWW.Example.test.');
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ domain: 'www.example.test' });
    expect(await version('www.example.test')).toMatchObject({ version: 'v1' });
    expect(await version('www.example.test:8080')).toMatchObject({ version: 'v1' });
    expect(await version('hello.localhost')).toMatchObject({ version: 'v1' });
    const list = await mc.api<Entry[]>('GET', '/api/apps/hello/domains');
    expect(list.status).toBe(200);
    expect(list.body[0]).toEqual({ domain: 'hello.localhost', default: true });
    expect(list.body.slice(1)).toEqual([{ domain: 'www.example.test', createdAt: expect.stringMatching(/^\d{4}-/) }]);
  });

  it('adding the same domain again to the same app changes nothing', async () => {
    const r = await add('hello', 'www.example.test');
    expect(r.status).toBe(200);
    expect((await mc.api<Entry[]>('GET', '/api/apps/hello/domains')).body).toHaveLength(2);
  });

  it('serves any one-label subdomain of a wildcard domain', async () => {
    expect((await add('hello', '*.shop.test')).status).toBe(201);
    expect(await version('a.shop.test')).toMatchObject({ version: 'v1' });
    expect(await version('b.shop.test')).toMatchObject({ version: 'v1' });
    expect((await get(mc.httpPort, 'shop.test')).status).toBe(404);
    expect((await get(mc.httpPort, 'x.y.shop.test')).status).toBe(404);
  });

  it('refuses a domain another app has, with 409 naming the owner', async () => {
    const r = await add('other', 'www.example.test');
    expect(r.status).toBe(409);
    expect(r.body.error).toBe('www.example.test is already used by app hello');
    expect(r.body.hint).toContain('minicloud domains:remove hello www.example.test');
    expect(await version('www.example.test')).toMatchObject({ version: 'v1' });
  });

  it.each([
    ['example.test:8080', 'contains a port'],
    ['http://x', 'is a URL'],
    ['a/b', 'contains a path'],
    ['a..b.test', 'empty label'],
    ['localhost', 'single-label name'],
    ['127.0.0.1', 'IP address'],
    ['a.*.test', 'in the wrong place'],
    ['*.test', 'whole top-level domain'],
    ['', 'a domain name is required'],
  ])('refuses %j with 400 and says why', async (domain, message) => {
    const r = await add('hello', domain);
    expect(r.status).toBe(400);
    expect(r.body.error).toContain(message);
    expect(r.body.hint).toBeTruthy();
  });

  it("refuses minicloud's own names: its domain, admin.<domain> and other apps' default hosts", async () => {
    const own = await add('hello', 'localhost.');
    expect(own.status).toBe(400); // a single label, and minicloud's own domain either way
    const admin = await add('hello', 'admin.localhost');
    expect(admin.status).toBe(400);
    expect(admin.body.error).toContain('reserved for minicloud');
    const other = await add('hello', 'other.localhost');
    expect(other.status).toBe(409);
    expect(other.body.error).toContain('belongs to app other');
    const self = await add('hello', 'hello.localhost');
    expect(self.status).toBe(400);
    expect(self.body.error).toContain("already hello's default domain");
    expect((await mc.api<Entry[]>('GET', '/api/apps/hello/domains')).body.map((d) => d.domain))
      .toEqual(['hello.localhost', '*.shop.test', 'www.example.test']);
  });

  it('answers 404 for an unknown app, or a domain the app does not have', async () => {
    expect((await mc.api('GET', '/api/apps/nope/domains')).status).toBe(404);
    expect((await add('nope', 'x.example.test')).status).toBe(404);
    expect((await remove('other', 'www.example.test')).status).toBe(404);
  });

  it('removing a domain stops serving it at once: the router answers its 404 page', async () => {
    expect((await remove('hello', 'www.example.test')).status).toBe(204);
    const r = await get(mc.httpPort, 'www.example.test');
    expect(r.status).toBe(404);
    expect(r.body).toContain('No app here');
    expect(await version('hello.localhost')).toMatchObject({ version: 'v1' });
    expect(await version('a.shop.test')).toMatchObject({ version: 'v1' });
    expect((await remove('hello', '*.shop.test')).status).toBe(204);
    expect((await get(mc.httpPort, 'a.shop.test')).status).toBe(404);
  });

  it('a freed domain can go to another app; the CLI adds, lists and removes', async () => {
    const added = await mc.cli('domains:add', 'other', 'www.example.test');
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('Adding www.example.test to other... done');
    expect(added.stdout).toMatch(/Point the DNS record of www\.example\.test at this server: an A record .* CNAME record pointing at other\.localhost/);
    const list = await mc.cli('domains', 'other');
    expect(list.stdout).toMatch(/other\.localhost\s+default/);
    expect(list.stdout).toMatch(/www\.example\.test\s+added/);
    const bad = await mc.cli('domains:add', 'other', 'example.test:8080');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('contains a port');
    const removed = await mc.cli('domains:remove', 'other', 'www.example.test');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('Removing www.example.test from other... done');
  });

  it('keeps custom domains across a restart of minicloud', async () => {
    expect((await add('hello', 'kept.example.test')).status).toBe(201);
    await mc.restart();
    expect(await version('kept.example.test')).toMatchObject({ version: 'v1' });
  });
});
