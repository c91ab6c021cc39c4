// Images built elsewhere as ordinary releases (commit, author and message from flags or OCI labels, a deploy token
// allowed that and nothing more), and `releases:diff` over a scripted sequence of config, image, manifest and
// formation changes: exactly those differences, and never a config value, in the CLI's output or the API's JSON.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ReleaseDiff, ReleaseInfo } from '../../src/core/index.ts';
import { docker, dockerHost } from '../helpers/docker.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const SHOP = fileURLToPath(new URL('../fixtures/images/shop/', import.meta.url));
const REPO = `minicloud-test/diff-shop-${Date.now().toString(36)}`;
const BASE = process.env.MINICLOUD_BASE_IMAGE_PYTHON ?? 'minicloud/python';
const LABELLED_SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const CI_SHA = 'f00dfacecafe0123456789abcdef0123456789ab';
// Distinct values that must never leave the server, whatever is asked.
const SECRETS = ['s3cr3t-first-Vq8Zx', 's3cr3t-second-Lm4Tp', 'plain-value-Rt7Ws', 'new-value-Hy2Kc'];
let redis: TestRedis;
let mc: Minicloud;
let ciToken: string;
const said: string[] = []; // every CLI output and API body of the test, searched for the values at the end

function buildShop(tag: string, version: string, manifest: string, labels: Record<string, string>): void {
  const dir = mkdtempSync(join(tmpdir(), 'mc-shop-'));
  cpSync(SHOP, dir, { recursive: true });
  writeFileSync(join(dir, 'cloud_manifest.yml'), manifest);
  const flags = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  docker('build', '-q', '--build-arg', `BASE_IMAGE=${BASE}`, '--build-arg', `VERSION=${version}`, ...flags, '-t', `${REPO}:${tag}`, dir);
  rmSync(dir, { recursive: true, force: true });
}

const cli = async (...args: string[]) => {
  const r = await mc.cli(...args);
  said.push(r.stdout, r.stderr);
  expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
};
const apiGet = async <T>(path: string) => {
  const r = await mc.api<T>('GET', path);
  said.push(JSON.stringify(r.body));
  expect(r.status).toBe(200);
  return r.body;
};
/** The diff's lines without the two header lines that carry local times. */
const diffLines = (out: string) => out.trimEnd().split('\n').filter((_line, i) => i === 0 || i > 2);

beforeAll(async () => {
  const oci = 'org.opencontainers.image';
  buildShop('1.0', '1.0', 'name: shop\nexpose:\n  proto: http\n  port: 8000\nhealthcheck:\n  path: /\n', {
    [`${oci}.revision`]: LABELLED_SHA, [`${oci}.source`]: 'https://github.com/acme/shop', [`${oci}.authors`]: 'Label Author',
    [`${oci}.description`]: 'Shop from its labels',
  });
  buildShop('2.0', '2.0', 'name: shop\nexpose:\n  proto: http\n  port: 8000\nhealthcheck:\n  path: /healthz\n  timeout: 30\n', {
    [`${oci}.revision`]: 'not a sha; rm -rf /',
  });
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test' });
  await cli('apps:create', 'shop');
  await cli('apps:create', 'other');
  const made = await cli('tokens:create', 'ci', '--role', 'deploy', '--app', 'shop');
  ciToken = /^\s+(mc_\S+)$/m.exec(made)![1]!;
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
  for (const t of ['1.0', '2.0']) docker('rmi', '-f', `${REPO}:${t}`);
});

it('releases an image with the commit, author and message of its OCI labels', async () => {
  await cli('config:set', 'shop', `SECRET_TOKEN=${SECRETS[0]}`, `PLAIN=${SECRETS[2]}`);
  const out = await cli('deploy', 'shop', '--image', `${REPO}:1.0`);
  expect(out).toContain("Commit a1b2c3d (the image's org.opencontainers.image.revision label)");
  expect((await get(mc.httpPort, 'shop.localhost')).body).toBe('shop 1.0 greeting=-');
  const v1 = await apiGet<ReleaseInfo>('/api/apps/shop/releases/v1');
  expect(v1).toMatchObject({ commit: LABELLED_SHA, commitAuthor: 'Label Author', commitMessage: 'Shop from its labels', formation: { web: 1 } });
  expect(v1.image).toMatchObject({ ref: `${REPO}:1.0`, source: 'https://github.com/acme/shop', revision: LABELLED_SHA });
  expect(v1.configKeys).toEqual(['PLAIN', 'SECRET_TOKEN']);
  const info = await cli('releases:info', 'shop', 'v1');
  expect(info).toMatch(/^Source:\s+https:\/\/github\.com\/acme\/shop$/m);
  expect(info).toMatch(/^Config vars:\s+PLAIN, SECRET_TOKEN$/m);
});

it('lets a deploy token release a CI-built image with --commit, --author and --message, and nothing more', async () => {
  await cli('config:set', 'shop', `SECRET_TOKEN=${SECRETS[1]}`, `NEW_ONE=${SECRETS[3]}`); // v2
  await cli('config:unset', 'shop', 'PLAIN'); // v3
  await cli('ps:scale', 'shop', 'web=2');
  const r = await mc.cliAs(ciToken, 'deploy', 'shop', '--image', `${REPO}:2.0`, '--commit', CI_SHA, '--author', 'CI Bot <ci@example.com>', '--message', 'Ship 2.0');
  said.push(r.stdout, r.stderr);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toContain('v4 is live');
  expect((await get(mc.httpPort, 'shop.localhost')).body).toBe('shop 2.0 greeting=-');
  const list = await cli('releases', 'shop');
  expect(list).toMatch(/^v4 \(current\)\s+succeeded\s+Deploy image \S+:2\.0\s+f00dfac\s+CI Bot\s+Ship 2\.0/m);

  // The deploy token: deploys its app's images; reads no config, changes nothing else, deploys no other app.
  const bad = await mc.cliAs(ciToken, 'deploy', 'shop', '--image', `${REPO}:2.0`, '--commit', 'zzz');
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('commit must be a commit id: 7 to 64 hexadecimal digits');
  const as = async (method: string, path: string, body?: unknown) => (await fetch(`${mc.apiUrl}${path}`, {
    method, headers: { authorization: `Bearer ${ciToken}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  })).status;
  expect(await as('GET', '/api/apps/shop/config')).toBe(403);
  expect(await as('PATCH', '/api/apps/shop/config', { X: '1' })).toBe(403);
  expect(await as('POST', '/api/apps/shop/rollback', {})).toBe(403);
  expect(await as('PATCH', '/api/apps/shop/formation', { web: 1 })).toBe(403);
  expect(await as('POST', '/api/apps/other/deploys', { image: `${REPO}:2.0` })).toBe(403);
  expect(await as('GET', '/api/apps/shop/releases/1/diff/4')).toBe(403); // a read of the app: not a deploy token's
});

it('shows exactly what changed between two releases, config var names only', async () => {
  const id = (tag: string) => docker('image', 'inspect', '-f', '{{.Id}}', `${REPO}:${tag}`).trim().replace(/^sha256:/, '').slice(0, 12);
  expect(diffLines(await cli('releases:diff', 'shop', 'v1', 'v4'))).toEqual([
    '=== shop: v1 → v4',
    '',
    `Build: image ${REPO}:1.0 (${id('1.0')}), commit a1b2c3d → image ${REPO}:2.0 (${id('2.0')}), commit f00dfac`,
    '  message: Shop from its labels → Ship 2.0',
    '  author: Label Author → CI Bot',
    'Config vars (values not shown):',
    '  + NEW_ONE',
    '  - PLAIN',
    '  ~ SECRET_TOKEN (changed)',
    'Processes: unchanged',
    'Manifest:',
    '  ~ healthcheck.path: / → /healthz',
    '  + healthcheck.startTimeoutSeconds: 30',
    'Formation:',
    '  ~ web: 1 → 2',
  ]);
  expect(diffLines(await cli('releases:diff', 'shop', '2', '3'))).toEqual([
    '=== shop: v2 → v3',
    '',
    `Build: unchanged (image ${REPO}:1.0 (${id('1.0')}), commit a1b2c3d)`,
    'Config vars (values not shown):',
    '  - PLAIN',
    'Processes: unchanged',
    'Manifest: unchanged',
    'Formation: unchanged',
  ]);
  const d = await apiGet<ReleaseDiff>('/api/apps/shop/releases/v1/diff/v4');
  expect(d.config).toEqual({ added: ['NEW_ONE'], removed: ['PLAIN'], changed: ['SECRET_TOKEN'] });
  expect(d.sameBuild).toBe(false);
  expect(JSON.parse(await cli('releases:diff', 'shop', 'v1', 'v4', '--json'))).toEqual(d);
  await apiGet('/api/apps/shop/releases');
  await cli('releases:info', 'shop', 'v4', '--json');
});

it('refuses a release that does not exist, and a number that is none, saying which', async () => {
  const none = await mc.cli('releases:diff', 'shop', 'v1', 'v99');
  expect(none.code).not.toBe(0);
  expect(none.stderr).toContain('shop has no release v99');
  expect((await mc.api('GET', '/api/apps/shop/releases/v1/diff/latest')).status).toBe(400);
  const bad = await mc.cli('releases:diff', 'shop', 'v1');
  expect(bad.stderr).toContain('usage: minicloud releases:diff shop v5 v7');
});

it('never said a config value', () => {
  const all = said.join('\n');
  expect(all).toContain('SECRET_TOKEN');
  for (const s of SECRETS) expect(all).not.toContain(s);
});
