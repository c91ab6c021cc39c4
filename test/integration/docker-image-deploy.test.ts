// Image deploys: a locally built image deployed by reference, its manifest read from inside it, rolled back like a build.
import { mkdtempSync, cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { docker, dockerHost } from '../helpers/docker.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { redisContents, startRedis, type TestRedis } from '../helpers/redis.ts';

const SHOP = fileURLToPath(new URL('../fixtures/images/shop/', import.meta.url));
const REPO = `minicloud-test/shop-${Date.now().toString(36)}`;
let redis: TestRedis;
let mc: Minicloud;
const base = process.env.MINICLOUD_BASE_IMAGE_PYTHON ?? 'minicloud/python';

function buildShop(tag: string, version: string, manifest?: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'mc-shop-'));
  cpSync(SHOP, dir, { recursive: true });
  if (manifest) writeFileSync(join(dir, 'cloud_manifest.yml'), manifest);
  docker('build', '-q', '--build-arg', `BASE_IMAGE=${base}`, '--build-arg', `VERSION=${version}`, '-t', `${REPO}:${tag}`, dir);
}

/** Files under `dir` whose bytes contain `text`. */
function filesContaining(dir: string, text: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (statSync(path).size < 64 * 1024 * 1024 && readFileSync(path).includes(text)) found.push(path);
  }
  return found;
}

beforeAll(async () => {
  buildShop('1.0', '1.0');
  buildShop('2.0', '2.0');
  buildShop('bad', 'bad', 'expose:\n  proto: http\n  port: 99999\n');
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test' });
  expect((await mc.cli('apps:create', 'shop')).code).toBe(0);
  expect((await mc.cli('config:set', 'shop', 'GREETING=hi')).code).toBe(0);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
  for (const t of ['1.0', '2.0', 'bad']) docker('rmi', '-f', `${REPO}:${t}`);
});

it('deploys an image by reference, on the port its manifest exposes, with the app config', async () => {
  const r = await mc.cli('deploy', 'shop', '--image', `${REPO}:1.0`);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toContain(`using the engine's own copy of ${REPO}:1.0`);
  expect(r.stdout).toContain('v1 is live');
  expect((await get(mc.httpPort, 'shop.localhost')).body).toBe('shop 1.0 greeting=hi');
});

it('updates with a new tag and rolls back to the earlier image', async () => {
  expect((await mc.cli('deploy', 'shop', '--image', `${REPO}:2.0`)).code).toBe(0);
  expect((await get(mc.httpPort, 'shop.localhost')).body).toBe('shop 2.0 greeting=hi');
  const back = await mc.cli('rollback', 'shop');
  expect(back.code, back.stdout + back.stderr).toBe(0);
  expect((await get(mc.httpPort, 'shop.localhost')).body).toBe('shop 1.0 greeting=hi');
  const releases = await mc.cli('releases', 'shop');
  expect(releases.stdout).toContain(`Deploy image ${REPO}:2.0`);
});

it('fails an image whose manifest has a wrong field, naming the field, and keeps serving', async () => {
  const r = await mc.cli('deploy', 'shop', '--image', `${REPO}:bad`);
  expect(r.code).not.toBe(0);
  expect(r.stdout + r.stderr).toMatch(/expose\.port/);
  expect((await get(mc.httpPort, 'shop.localhost')).body).toBe('shop 1.0 greeting=hi');
});

it('refuses a reference that is not one, and an image nobody has', async () => {
  const bad = await mc.cli('deploy', 'shop', '--image', 'Not An Image;rm -rf /');
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('is not an image reference');
  const missing = await mc.cli('deploy', 'shop', '--image', `${REPO}:nope`);
  expect(missing.code).not.toBe(0);
  expect(missing.stdout + missing.stderr).toContain(`could not pull ${REPO}:nope`);
});

it('keeps registry passwords out of Redis, and fails a deploy whose credentials a restart lost, saying so', async () => {
  const password = `pw-${Date.now().toString(36)}-secret`;
  const r = await mc.cli('deploy', 'shop', '--image', `${REPO}:2.0`, '--registry-user', 'me', '--registry-password', password);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(await redisContents(redis.url)).not.toContain(password);
  expect(r.stdout + mc.output()).not.toContain(password);
  expect(filesContaining(mc.dataDir, password)).toEqual([]); // state file, its journal, logs

  // A deploy with credentials waits behind a running one; minicloud restarts before it runs.
  const start = async (body: unknown) => {
    const ac = new AbortController();
    const res = await fetch(`${mc.apiUrl}/api/apps/shop/deploys`, {
      method: 'POST', signal: ac.signal, headers: { authorization: `Bearer ${mc.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    return { id: res.headers.get('x-deploy-id')!, stop: () => ac.abort() };
  };
  const running = await start({ image: `${REPO}:1.0` });
  const waiting = await start({ image: `${REPO}:2.0`, registry: { username: 'me', password } });
  running.stop();
  waiting.stop();
  await mc.restart();
  const failed = await until('the waiting deploy to end', async () => {
    const d = (await mc.api<{ id: string; status: string; error: string | null }[]>('GET', '/api/apps/shop/deploys')).body.find((x) => x.id === waiting.id);
    return d && (d.status === 'failed' || d.status === 'succeeded') ? d : undefined;
  }, 90_000);
  expect(failed).toMatchObject({ status: 'failed', error: 'registry credentials were lost in a restart; deploy again' });
  expect(await redisContents(redis.url)).not.toContain(password);
});
