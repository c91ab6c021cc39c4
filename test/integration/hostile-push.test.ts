// Hostile pushed trees: links to host files (minicloud's own environment above all) never reach the push output or the deploy log.
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let mc: Minicloud;
// A recognisable secret in minicloud's own environment: it must never come back to the pusher.
const CANARY = `canary-${randomBytes(8).toString('hex')}`;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_TEST_CANARY: CANARY });
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

/** The python fixture with `file` replaced by a link to `target`; pushed to a new app. */
async function pushWithLink(app: string, file: string, target: string, edit?: (repo: string) => void) {
  expect((await mc.cli('apps:create', app)).code).toBe(0);
  const repo = fixtureRepo('python');
  rmSync(join(repo, file), { force: true });
  mkdirSync(join(repo, file, '..'), { recursive: true });
  symlinkSync(target, join(repo, file));
  edit?.(repo);
  commitAll(repo, `link ${file}`);
  const r = await push(repo, mc.gitUrl(app));
  const log = await mc.cli('logs', app, '--build');
  return { code: r.code, output: r.output, log: log.stdout + log.stderr };
}

function expectNoLeak(text: string): void {
  expect(text).not.toContain(CANARY);
  expect(text).not.toContain(mc.token);
  expect(text).not.toContain('MINICLOUD_DATA');
  expect(text).not.toContain('REDIS_URL');
}

describe('a pushed tree that links out of itself', () => {
  it.each([
    ['Procfile', 'lk-procfile'],
    ['cloud_manifest.yml', 'lk-manifest'],
    ['app.json', 'lk-appjson'],
  ])('%s -> /proc/self/environ: the push fails naming the link, and nothing of the environment is printed or logged', async (file, app) => {
    const r = await pushWithLink(app, file, '/proc/self/environ');
    expectNoLeak(r.output);
    expectNoLeak(r.log);
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toContain(`${file} is a link to a file outside the repository`);
    expect(r.output).toContain('nothing was deployed');
  });

  it('a detection file (requirements.txt -> /proc/self/environ, no Procfile) is refused the same way', async () => {
    const r = await pushWithLink('lk-detect', 'requirements.txt', '/proc/self/environ', (repo) => rmSync(join(repo, 'Procfile')));
    expectNoLeak(r.output);
    expectNoLeak(r.log);
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toContain('requirements.txt is a link to a file outside the repository');
  });

  it('package.json -> /dev/zero (node detection reads it) is refused without hanging minicloud', async () => {
    const r = await pushWithLink('lk-zero', 'package.json', '/dev/zero');
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toContain('package.json is a link to a file outside the repository');
    expect((await mc.api('GET', '/api/apps/lk-zero')).status).toBe(200);
  });

  it('a relative link climbing out (../../../../proc/self/environ) is refused too', async () => {
    const r = await pushWithLink('lk-climb', 'Procfile', '../../../../../../../../proc/self/environ');
    expectNoLeak(r.output);
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toContain('Procfile is a link to a file outside the repository');
  });

  it('a link out deeper in the tree (lib/etc -> /etc) is refused before anything is built', async () => {
    const r = await pushWithLink('lk-deep', 'lib/etc', '/etc');
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toContain('lib/etc is a link to a file outside the repository');
    expect(r.output).not.toContain('Running');
  });

  it('a link that stays inside the tree is kept, and the app deploys', async () => {
    const r = await pushWithLink('lk-inside', 'static/app-copy.py', '../app.py');
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('v1 is live');
  });
});

describe('a pushed file built to stall detection', () => {
  it('the API keeps answering while a requirements.txt of 60,000 blank lines is detected', async () => {
    expect((await mc.cli('apps:create', 'trap')).code).toBe(0);
    const repo = fixtureRepo('python');
    rmSync(join(repo, 'Procfile')); // the default web command is what reads requirements.txt
    writeFileSync(join(repo, 'requirements.txt'), '\n'.repeat(60_000));
    commitAll(repo, 'trap');
    const latencies: number[] = [];
    const failures: string[] = [];
    let pushing = true;
    const poll = (async () => {
      while (pushing) {
        const t = performance.now();
        try {
          const res = await fetch(`${mc.apiUrl}/api/apps/trap`, { headers: { authorization: `Bearer ${mc.token}` } });
          await res.arrayBuffer();
          if (!res.ok) failures.push(`HTTP ${res.status}`);
        } catch (e) {
          failures.push(String((e as Error).cause ?? e)); // a stalled server drops kept-alive connections
        }
        latencies.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const r = await push(repo, mc.gitUrl('trap'));
    pushing = false;
    await poll;
    expect(r.output).toContain('this python app has no web command');
    expect(r.output).toContain('-----> python app detected');
    const warm = latencies.slice(1); // the first request also opens the connection
    const slowest = Math.max(...warm);
    const median = [...warm].sort((x, y) => x - y)[Math.floor(warm.length / 2)]!;
    console.log(`API during the trap push: ${latencies.length} requests, median ${median.toFixed(1)} ms, slowest ${slowest.toFixed(1)} ms, ${failures.length} failed`);
    expect(failures).toEqual([]);
    // The spec's figure is 100 ms; the slowest gets a margin for a shared, loaded 2-core machine. Before: 4-15 s, and resets.
    expect(median).toBeLessThan(100);
    expect(slowest).toBeLessThan(1000);
  });
});

describe('size limits (MINICLOUD_MAX_SOURCE_MB=1)', () => {
  let small: Minicloud;
  beforeAll(async () => {
    small = await startMinicloud(redis.url, { MINICLOUD_MAX_SOURCE_MB: '1' });
  });
  afterAll(async () => {
    await small?.stop();
  });

  it('a tree over the limit that packs small (3 MB of zeros) is refused by the archive check, saying what to do', async () => {
    expect((await small.cli('apps:create', 'zeros')).code).toBe(0);
    const repo = fixtureRepo('python');
    writeFileSync(join(repo, 'zeros.bin'), Buffer.alloc(3 * 1024 * 1024));
    commitAll(repo, 'zeros');
    const r = await push(repo, small.gitUrl('zeros'));
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toContain("the pushed tree is larger than 1 MiB, minicloud's limit for one push");
    expect(r.output).toContain('MINICLOUD_MAX_SOURCE_MB');
  });

  it('a pack over the limit (3 MB of random bytes) is refused by git while it arrives', async () => {
    expect((await small.cli('apps:create', 'noise')).code).toBe(0);
    const repo = fixtureRepo('python');
    writeFileSync(join(repo, 'noise.bin'), randomBytes(3 * 1024 * 1024));
    commitAll(repo, 'noise');
    const r = await push(repo, small.gitUrl('noise'));
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toMatch(/pack exceeds maximum allowed size/);
    const incoming = execFileSync('find', [join(small.dataDir), '-name', '*.tar', '-size', '+1M'], { encoding: 'utf8' });
    expect(incoming).toBe('');
  });
});
