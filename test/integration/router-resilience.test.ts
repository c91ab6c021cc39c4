// The router keeps serving what it knows when minicloud's Redis goes away, and learns a deploy at once.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;
let repo: string;
const version = async () => (JSON.parse((await get(mc.httpPort, 'steady.localhost')).body) as { version: string }).version;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  repo = fixtureRepo('node-hello');
  await mc.api('POST', '/api/apps', { name: 'steady' });
  expect((await push(repo, mc.gitUrl('steady'))).code).toBe(0);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

it('serves the new release as soon as the push reports it live', async () => {
  const file = join(repo, 'server.js');
  writeFileSync(file, readFileSync(file, 'utf8').replace("const VERSION = 'v1'", "const VERSION = 'v2'"));
  commitAll(repo, 'v2');
  const r = await push(repo, mc.gitUrl('steady'));
  expect(r.code, r.output).toBe(0);
  const live = Date.now();
  expect(await version()).toBe('v2');
  expect(Date.now() - live).toBeLessThan(1000);
});

it('keeps serving the known routes while Redis is down', async () => {
  await redis.stop();
  for (let i = 0; i < 20; i++) expect(await version()).toBe('v2');
  const apps = await mc.api<{ name: string }[]>('GET', '/api/apps');
  expect(apps.body.map((a) => a.name)).toEqual(['steady']);
});
