// Contract: the redis add-on against a real Redis 7 server: ACL users confined to their key prefix.
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { providerFor, type AddonProvider, type Provisioned } from '../../src/addons/index.ts';
import { UserError } from '../../src/core/index.ts';
import { requireService, SERVICES_ENV, setupOrFailEach, uniqueName } from '../helpers/services.ts';

let provider: AddonProvider; // made once the file's servers are up (setupOrFailEach)
const a = uniqueName('a');
const b = uniqueName('b');
let pa: Provisioned;
let pb: Provisioned;
const clients: Redis[] = [];

/** A client that fails instead of retrying; a refused AUTH shows up as its first `error` event. */
async function connect(url: string): Promise<Redis> {
  const r = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  clients.push(r);
  let refused: Error | null = null;
  r.on('error', (e: Error) => { refused ??= e; });
  await r.connect().catch((e: Error) => { throw refused ?? e; });
  return r;
}

const admin = () => connect(SERVICES_ENV.MINICLOUD_REDIS_ADDON_URL!);

setupOrFailEach(async () => {
  provider = providerFor('redis', SERVICES_ENV);
  await requireService('Redis', () => provider.check());
  pa = await provider.create(a);
  pb = await provider.create(b);
});

afterAll(async () => {
  for (const n of [a, b]) await provider?.destroy(n, { user: n }).catch(() => {});
  for (const r of clients) r.disconnect();
  await provider?.close();
});

it('creates an ACL user that can write and read keys under its prefix', async () => {
  expect(pa.env.REDIS_URL).toMatch(new RegExp(`^redis://${a}:[A-Za-z0-9_-]{32}@127\\.0\\.0\\.1:${new URL(SERVICES_ENV.MINICLOUD_REDIS_ADDON_URL!).port}$`));
  expect(pa.env.REDIS_KEY_PREFIX).toBe(`${a}:`);
  expect(pa.credentials).toMatchObject({ user: a, prefix: `${a}:`, url: pa.env.REDIS_URL });
  const r = await connect(pa.env.REDIS_URL!);
  expect(await r.call('ACL', 'WHOAMI')).toBe(a);
  await r.set(`${a}:greeting`, 'hello');
  await r.hset(`${a}:h`, 'f', 'v');
  expect(await r.get(`${a}:greeting`)).toBe('hello');
  expect(await r.publish(`${a}:events`, 'x')).toBe(0);
  expect(await r.info('server')).toMatch(/redis_version/); // ioredis's ready check and BullMQ use INFO
});

it("refuses app B on app A's keys, and both on keys and commands outside their prefix", async () => {
  const rb = await connect(pb.env.REDIS_URL!);
  await expect(rb.get(`${a}:greeting`)).rejects.toThrow(/^NOPERM/);
  await expect(rb.set(`${a}:greeting`, 'mine')).rejects.toThrow(/^NOPERM/);
  await expect(rb.set('unprefixed', 'x')).rejects.toThrow(/^NOPERM/);
  await expect(rb.publish(`${a}:events`, 'x')).rejects.toThrow(/^NOPERM/);
  await expect(rb.flushall()).rejects.toThrow(/^NOPERM/);
  await expect(rb.keys('*')).rejects.toThrow(/^NOPERM/);
  await expect(rb.call('ACL', 'SETUSER', b, '~*')).rejects.toThrow(/^NOPERM/);
  const ra = await connect(pa.env.REDIS_URL!);
  expect(await ra.get(`${a}:greeting`)).toBe('hello');
});

it('creates idempotently: the keys stay, the new password works and the old one does not', async () => {
  const again = await provider.create(a);
  expect(again.credentials.password).not.toBe(pa.credentials.password);
  const r = await connect(again.env.REDIS_URL!);
  expect(await r.get(`${a}:greeting`)).toBe('hello');
  await expect(connect(pa.env.REDIS_URL!)).rejects.toThrow(/^WRONGPASS/);
  pa = again;
});

it("destroys the user and the prefix's keys in every database; a second destroy is harmless", async () => {
  const open = await connect(pa.env.REDIS_URL!);
  await open.select(3);
  await open.set(`${a}:in-db-3`, 'x');
  const ad = await admin();
  await ad.set(`${b}:other-app`, 'kept');
  await provider.destroy(a, pa.credentials);
  await expect(open.ping()).rejects.toThrow(); // Redis disconnects a deleted user's clients
  await expect(connect(pa.env.REDIS_URL!)).rejects.toThrow(/^WRONGPASS/);
  expect(await ad.exists(`${a}:greeting`, `${a}:h`)).toBe(0);
  await ad.select(3);
  expect(await ad.exists(`${a}:in-db-3`)).toBe(0);
  await ad.select(0);
  expect(await ad.get(`${b}:other-app`)).toBe('kept');
  expect(await ad.call('ACL', 'LIST')).not.toEqual(expect.arrayContaining([expect.stringContaining(`user ${a} `)]));
  await provider.destroy(a, pa.credentials);
});

it('names a missing or malformed admin URL, and refuses unsafe names', async () => {
  expect(() => providerFor('redis', {})).toThrow(UserError);
  expect(() => providerFor('redis', {})).toThrow(/^MINICLOUD_REDIS_ADDON_URL is not set: set it to the shared Redis server's admin URL, e.g. redis:\/\//);
  expect(() => providerFor('redis', { MINICLOUD_REDIS_ADDON_URL: 'http://127.0.0.1:6379' })).toThrow(/MINICLOUD_REDIS_ADDON_URL must be/);
  for (const bad of ['default', 'a b', 'x*', 'a:b', 'A']) {
    await expect(provider.create(bad)).rejects.toThrow(UserError);
  }
  const down = providerFor('redis', { MINICLOUD_REDIS_ADDON_URL: 'redis://:pw@127.0.0.1:1' });
  await expect(down.check()).rejects.toThrow(/MINICLOUD_REDIS_ADDON_URL.*ECONNREFUSED/);
});
