// `minicloud df` and `minicloud prune` as an operator uses them: what no release needs goes (a stale build dir,
// a destroyed app's builds, caches and logs, a leftover pushed archive, git's loose objects), what the kept releases
// use stays (rollback works after the prune), and storage nobody mounts is only listed until --volumes.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const APP = `prune-${randomBytes(3).toString('hex')}`;
const GHOST = `ghost-${randomBytes(3).toString('hex')}`; // a destroyed app's leftovers
let redis: TestRedis;
let mc: Minicloud;
let repo: string;
const d = (...p: string[]) => join(mc.dataDir, ...p);
const put = (file: string, bytes = 4096) => { mkdirSync(join(file, '..'), { recursive: true }); writeFileSync(file, Buffer.alloc(bytes, 1)); };
const looseObjects = () => Number(/^count: (\d+)/m.exec(execFileSync('git', ['-C', d('repos', `${APP}.git`), 'count-objects', '-v'], { encoding: 'utf8' }))![1]);

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  repo = fixtureRepo('node-hello');
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

const cli = async (...args: string[]) => {
  const r = await mc.cli(...args);
  expect(r.code, `${args.join(' ')}:\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
};

let releaseDirs: string[];

it('shows what uses the disk per app, a destroyed app\'s leftovers included', async () => {
  expect((await mc.api('POST', '/api/apps', { name: APP })).status).toBe(201);
  for (const n of [1, 2]) {
    writeFileSync(join(repo, 'version.txt'), `v${n}\n`);
    commitAll(repo, `v${n}`);
    const r = await push(repo, mc.gitUrl(APP));
    expect(r.code, r.output).toBe(0);
  }
  releaseDirs = readdirSync(d('builds', APP)).sort();
  expect(releaseDirs).toHaveLength(2);
  expect((await mc.api('POST', `/api/apps/${APP}/storage`, { path: '/data' })).status).toBe(201);
  put(d('volumes', APP, 'data', 'kept.txt'));
  // What no release needs: a build dir a crash left, a destroyed app's builds, cache, logs and storage, a pushed
  // archive whose deploy record is gone, and storage of a volume the app no longer has.
  put(d('builds', APP, 'crashed-build', 'index.js'));
  put(d('builds', GHOST, 'v1', 'index.js'), 1 << 20);
  put(d('cache', GHOST, 'npm', 'blob'));
  put(d('logs', GHOST, 'app.log'));
  put(d('github', `${GHOST}.git`, 'HEAD'));
  put(d('volumes', GHOST, 'data', 'precious.db'));
  put(d('volumes', APP, 'old', 'precious.db'));
  put(d('sources', 'lost-upload.tar'));
  const hoursAgo = (Date.now() - 2 * 3600_000) / 1000;
  utimesSync(d('sources', 'lost-upload.tar'), hoursAgo, hoursAgo);

  const out = await cli('df');
  expect(out).toMatch(/free of .*builds and backups need .* free \(MINICLOUD_MIN_FREE\)/);
  expect(out).toMatch(/APP\s+GIT\s+BUILDS\s+CACHE\s+STORAGE\s+BACKUPS\s+LOGS\s+TOTAL/);
  expect(out).toMatch(new RegExp(`${GHOST} \\(destroyed\\)\\s+8\\.0 KB\\s+1\\.0 MB`)); // its GitHub clone, its builds
  expect(out).toMatch(new RegExp(`\\n${APP}\\s+\\d`));
  expect(out).toMatch(/minicloud's own files \(database, Redis, certificates\): [1-9][0-9.]* (KB|MB)/); // counted once, not 0
});

it('a dry run lists and removes nothing; prune removes exactly what no kept release needs', async () => {
  const dry = await cli('prune', '--dry-run');
  expect(dry).toMatch(/Would remove build .*crashed-build .*no kept release runs it/);
  expect(existsSync(d('builds', APP, 'crashed-build'))).toBe(true);
  expect(looseObjects()).toBeGreaterThan(0);

  const out = await cli('prune');
  for (const gone of [d('builds', APP, 'crashed-build'), d('builds', GHOST), d('cache', GHOST), d('logs', GHOST), d('github', `${GHOST}.git`), d('sources', 'lost-upload.tar')]) {
    expect(existsSync(gone), gone).toBe(false);
  }
  expect(out).toMatch(/Removed build .*crashed-build/);
  expect(out).toMatch(/Removed git .*\.git .*git gc packed loose objects/);
  expect(out).toMatch(/Freed \d/);
  expect(looseObjects()).toBe(0);
  expect(readdirSync(d('builds', APP)).sort()).toEqual(releaseDirs); // both releases' builds stay
  // Storage is only listed.
  expect(out).toMatch(new RegExp(`Kept storage .*${GHOST} .*the app is gone; \`minicloud prune --volumes\` removes it`));
  expect(out).toMatch(/Kept storage .*old .*has no storage at \/old any more/);
  expect(existsSync(d('volumes', GHOST, 'data', 'precious.db'))).toBe(true);

  const back = await cli('rollback', APP, 'v1');
  expect(back).toMatch(/v1/);
  expect((await get(mc.httpPort, `${APP}.localhost`, '/')).status).toBe(200);
});

it('removes unmounted storage only with --volumes, never a mounted one', async () => {
  const out = await cli('prune', '--volumes');
  expect(out).toMatch(new RegExp(`Removed volume .*${GHOST}`));
  expect(existsSync(d('volumes', GHOST))).toBe(false);
  expect(existsSync(d('volumes', APP, 'old'))).toBe(false);
  expect(existsSync(d('volumes', APP, 'data', 'kept.txt'))).toBe(true);
});

it('prunes on its own (MINICLOUD_PRUNE_INTERVAL): a cache unused 7 days goes, a fresh one and storage stay', async () => {
  const other = `${APP}-b`;
  expect((await mc.api('POST', '/api/apps', { name: other })).status).toBe(201);
  put(d('cache', APP, 'npm', 'blob'));
  put(d('cache', other, 'npm', 'blob'));
  const eightDaysAgo = (Date.now() - 8 * 24 * 3600_000) / 1000;
  utimesSync(d('cache', APP), eightDaysAgo, eightDaysAgo);
  put(d('volumes', GHOST, 'data', 'precious.db'));
  await mc.restart({ MINICLOUD_PRUNE_INTERVAL: '1' });
  await until('the scheduled prune to remove the stale cache', async () => (existsSync(d('cache', APP)) ? undefined : true), 60_000);
  expect(existsSync(d('cache', other, 'npm', 'blob'))).toBe(true);
  expect(existsSync(d('volumes', GHOST, 'data', 'precious.db'))).toBe(true);
});

it('is for admins only', async () => {
  const t = await mc.api<{ token: string }>('POST', '/api/tokens', { name: 'ci', role: 'deploy', apps: [APP] });
  expect(t.status, JSON.stringify(t.body)).toBe(201);
  const r = await mc.cliAs(t.body.token, 'prune');
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/admin|not allowed|forbidden|403/i);
});
