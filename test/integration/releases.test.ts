// Releases that never drop a request: zero-downtime deploys, failed health checks, crashes, rollback, scaling, sleep.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deploy, Instance } from '../../src/core/index.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { load } from '../helpers/load.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;
let repo: string;
const HOST = 'procs.localhost';

const serve = async () => JSON.parse((await get(mc.httpPort, HOST)).body) as { version: string; instance: string; pid: number; migrated: string | null };
const edit = (file: string, from: RegExp, to: string) => {
  const path = join(repo, file);
  writeFileSync(path, readFileSync(path, 'utf8').replace(from, to));
};
const setVersion = (v: string) => edit('server.js', /const VERSION = '[^']*'/, `const VERSION = '${v}'`);
const ps = async () => (await mc.api<Instance[]>('GET', '/api/apps/procs/ps')).body;
const web = async () => (await ps()).filter((i) => i.type === 'web');

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_HEALTH_INTERVAL: '1' });
  repo = fixtureRepo('node-procs');
  expect((await mc.api('POST', '/api/apps', { name: 'procs' })).status).toBe(201);
  const r = await push(repo, mc.gitUrl('procs'));
  expect(r.code, r.output).toBe(0);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

describe('deploys', () => {
  it('runs the release phase before the switch, and every process type', async () => {
    const build = await mc.cli('logs', 'procs', '--build');
    expect(build.stdout).toContain('Running release command: node release.js');
    expect(build.stdout).toContain('migrations done');
    expect((await ps()).map((i) => `${i.type}:${i.state}`).sort()).toEqual(['web:up', 'worker:up']);
  });

  it('redeploys under continuous load with zero failed requests', async () => {
    const traffic = load(mc.httpPort, HOST);
    setVersion('v2');
    commitAll(repo, 'v2');
    const r = await push(repo, mc.gitUrl('procs'));
    await until('v2 to serve', async () => ((await serve()).version === 'v2' ? true : undefined));
    await new Promise((res) => setTimeout(res, 500)); // past the old release's drain
    const result = await traffic.stop();
    expect(r.code, r.output).toBe(0);
    expect(result.failures).toEqual([]);
    expect(result.total).toBeGreaterThan(50);
  });

  it('a release failing its health check leaves v2 serving, with zero failed requests', async () => {
    const traffic = load(mc.httpPort, HOST);
    setVersion('v3-broken');
    edit('server.js', /const HEALTHY = true/, 'const HEALTHY = false');
    writeFileSync(join(repo, 'cloud_manifest.yml'), 'healthcheck:\n  path: /health\n  timeout: 4\n');
    commitAll(repo, 'unhealthy');
    const r = await push(repo, mc.gitUrl('procs'));
    const result = await traffic.stop();
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('did not start: no HTTP answer on $PORT within 4 s (last: GET /health answered 500)');
    expect(r.output).toContain('v2 is still serving');
    expect(result.failures).toEqual([]);
    expect((await serve()).version).toBe('v2');
    edit('server.js', /const HEALTHY = false/, 'const HEALTHY = true');
    setVersion('v2');
    commitAll(repo, 'healthy again');
  });

  it('a failing release command aborts the deploy', async () => {
    await mc.api('PATCH', '/api/apps/procs/config', { FAIL_RELEASE: '1' }).catch(() => {});
    const releases = (await mc.api<{ version: number; status: string; current: boolean }[]>('GET', '/api/apps/procs/releases')).body;
    expect(releases[0]).toMatchObject({ status: 'failed' });
    expect(releases.find((x) => x.current)?.version).toBe(2);
    expect((await serve()).version).toBe('v2');
    await mc.api('PATCH', '/api/apps/procs/config', { FAIL_RELEASE: null });
  });
});

describe('rollback', () => {
  it('serves v1 again within seconds, with no build', async () => {
    const started = Date.now();
    const res = await mc.api<{ deploy: Deploy }>('POST', '/api/apps/procs/rollback', { version: 1 });
    expect(res.body.deploy.status).toBe('succeeded');
    expect((await serve()).version).toBe('v1');
    expect(Date.now() - started).toBeLessThan(30_000);
    const log = await fetch(`${mc.apiUrl}/api/apps/procs/deploys/${res.body.deploy.id}/log`, { headers: { authorization: `Bearer ${mc.token}` } });
    const text = await log.text();
    expect(text).toContain('Rolling back to v1 (no build)');
    expect(text).not.toMatch(/Running npm|Building procs/);
  });
});

describe('health checks', () => {
  it('restarts an instance that keeps failing its health check', async () => {
    const [before] = await until('one web instance', async () => { const w = await web(); return w.length === 1 ? w : undefined; });
    await get(mc.httpPort, HOST, '/sick');
    const after = await until('a fresh web instance', async () => {
      const [w] = await web();
      return w?.state === 'up' && w.pid !== before!.pid ? w : undefined;
    });
    expect(after.id).toBe(before!.id);
    expect(mc.output()).toContain('web failed its health checks (GET /health answered 500); restarting it');
    expect((await get(mc.httpPort, HOST)).status).toBe(200);
  });
});

describe('crashes', () => {
  it('restarts a killed web process, and backs off a crash loop that ps reports', async () => {
    const [before] = await web();
    process.kill(-before!.pid!, 'SIGKILL');
    await until('the web instance to be up again', async () => {
      const [w] = await web();
      return w?.state === 'up' && w.pid !== before!.pid ? w : undefined;
    });
    expect((await get(mc.httpPort, HOST)).status).toBe(200);

    // Crash it each time it comes back: the restarts spread out (1 s, 2 s, 4 s ...).
    const crashes: number[] = [];
    for (let n = 0; n < 3; n++) {
      await until('the web instance up again', async () => ((await web())[0]?.state === 'up' ? true : undefined));
      crashes.push(Date.now());
      await get(mc.httpPort, HOST, '/crash');
      await until('crashed', async () => ((await web())[0]?.state !== 'up' ? true : undefined));
    }
    const out = await mc.cli('ps', 'procs');
    expect(out.stdout).toMatch(/web\.1 +crashed, restarting in \d+ s \(crash-looping, \d+ restarts\)/);
    await until('the web instance up again', async () => ((await web())[0]?.state === 'up' ? true : undefined));
    const gaps = crashes.slice(1).map((t, i) => t - crashes[i]!);
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
    expect((await web())[0]!.restarts).toBeGreaterThanOrEqual(3);
  });
});

describe('scaling', () => {
  it('ps:scale web=3 serves from three instances; a killed one loses no request once the router knows', async () => {
    const res = await mc.api<{ formation: Record<string, number> }>('PATCH', '/api/apps/procs/formation', { web: 3 });
    expect(res.body.formation).toMatchObject({ web: 3, worker: 1 });
    await until('three web instances up', async () => ((await web()).filter((i) => i.state === 'up').length === 3 ? true : undefined));
    const seen = new Set<string>();
    for (let n = 0; n < 12; n++) seen.add((await serve()).instance);
    expect(seen.size).toBe(3);

    const [victim] = await web();
    process.kill(-victim!.pid!, 'SIGKILL');
    await until('the router to drop the dead instance', async () => ((await web()).find((i) => i.id === victim!.id)?.state !== 'up' ? true : undefined));
    const traffic = load(mc.httpPort, HOST);
    await new Promise((r) => setTimeout(r, 1500));
    const result = await traffic.stop();
    expect(result.failures).toEqual([]);
    await mc.api('PATCH', '/api/apps/procs/formation', { web: 1 });
    await until('one web instance', async () => ((await web()).length === 1 ? true : undefined));
  });

  it('refuses an unknown process type and a bad count', async () => {
    const unknown = await mc.api<{ error: string }>('PATCH', '/api/apps/procs/formation', { nope: 1 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe('procs has no nope process');
    const bad = await mc.api<{ error: string }>('PATCH', '/api/apps/procs/formation', { web: -1 });
    expect(bad.status).toBe(400);
  });
});

describe('stop, start, sleep, run', () => {
  it('a stopped app answers 503 and runs nothing; start brings it back', async () => {
    await mc.api('POST', '/api/apps/procs/stop');
    expect(await ps()).toEqual([]);
    const stopped = await get(mc.httpPort, HOST);
    expect(stopped.status).toBe(503);
    expect(stopped.body).toContain('stopped');
    const res = await mc.api<{ deploy: Deploy }>('POST', '/api/apps/procs/start');
    expect(res.body.deploy.status).toBe('succeeded');
    expect((await get(mc.httpPort, HOST)).status).toBe(200);
  });

  it('a sleeping app is woken by its next request, which is answered, not errored', async () => {
    const slept = await mc.api<{ state: string }>('PUT', '/api/apps/procs/sleep', { afterSeconds: 900, now: true });
    expect(slept.body.state).toBe('sleeping');
    expect(await ps()).toEqual([]);
    const r = await get(mc.httpPort, HOST);
    expect(r.status).toBe(200);
    expect((await mc.api<{ state: string }>('GET', '/api/apps/procs')).body.state).toBe('running');
  });

  it('runs a one-off command in the current release, streaming its output and exit code', async () => {
    const res = await fetch(`${mc.apiUrl}/api/apps/procs/run`, {
      method: 'POST', headers: { authorization: `Bearer ${mc.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'node -e "console.log(require(\'./package.json\').name)"; echo "$DYNO"; exit 3' }),
    });
    const events = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string; text?: string; code?: number });
    expect(events.filter((e) => e.type === 'line').map((e) => e.text)[0]).toBe('node-procs');
    expect(events.at(-1)).toEqual({ type: 'exit', code: 3 });
  });
});
