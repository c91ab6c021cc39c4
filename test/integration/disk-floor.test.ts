// The free-space floor: on a data dir of its own small file system (tmpfs), filled past MINICLOUD_MIN_FREE, a push's
// build and a backup refuse to start, saying how much is free, what is needed and the way out; the running release
// keeps serving; with the room back, both work again.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const APP = `floor-${randomBytes(3).toString('hex')}`;
let redis: TestRedis;
let mc: Minicloud;
let data: string;
let repo: string;
const filler = () => join(data, 'filler.bin');

beforeAll(async () => {
  redis = await startRedis();
  data = mkdtempSync(join(tmpdir(), 'mc-floor-data-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=192m,mode=0700', 'tmpfs', data]);
  mc = await startMinicloud(redis.url, { MINICLOUD_DATA: data, MINICLOUD_MIN_FREE: '64M' });
  repo = fixtureRepo('node-hello');
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
  try { execFileSync('umount', ['-l', data]); } catch { /* not mounted */ }
  for (const d of [data, repo]) if (d) rmSync(d, { recursive: true, force: true });
});

/** Fills the file system until `left` MiB stay free. */
function fillUntil(leftMiB: number): void {
  const free = Number(execFileSync('df', ['--output=avail', '-B1', data], { encoding: 'utf8' }).trim().split('\n')[1]);
  writeFileSync(filler(), Buffer.alloc(Math.max(0, free - leftMiB * 1024 * 1024)));
}

it('refuses a build and a backup below the floor, saying what is free, what is needed and the way out', async () => {
  expect((await mc.api('POST', '/api/apps', { name: APP })).status).toBe(201);
  const first = await push(repo, mc.gitUrl(APP));
  expect(first.code, first.output).toBe(0);
  expect((await mc.api('POST', `/api/apps/${APP}/storage`, { path: '/data' })).status).toBe(201);

  fillUntil(40);
  writeFileSync(join(repo, 'more.txt'), 'a change\n');
  execFileSync('git', ['-C', repo, 'add', '-A']);
  execFileSync('git', ['-C', repo, 'commit', '-qm', 'a change']);
  const refused = await push(repo, mc.gitUrl(APP));
  expect(refused.code).not.toBe(0);
  expect(refused.output).toMatch(/not enough free disk space to start a build of floor-\w+: \d+ MiB free in \S+, 64 MiB needed \(MINICLOUD_MIN_FREE\)/);
  expect(refused.output).toMatch(/minicloud prune/);
  expect(refused.output).toMatch(/minicloud df/);
  expect((await get(mc.httpPort, `${APP}.localhost`, '/')).status).toBe(200); // v1 serves on

  const backup = await mc.cli('backups:create', APP);
  expect(backup.code).not.toBe(0);
  expect(backup.stderr).toMatch(/not enough free disk space to start a backup of floor-\w+: \d+ MiB free in \S+, 64 MiB needed/);
  expect(backup.stderr).toMatch(/minicloud prune.*minicloud df|minicloud df.*minicloud prune/s);

  rmSync(filler());
  const again = await push(repo, mc.gitUrl(APP));
  expect(again.code, again.output).toBe(0);
  expect((await mc.cli('backups:create', APP)).code).toBe(0);
});
