// Merged logs name the instance that printed each line, Heroku's `app[web.1]:` / `app[worker.1]:`, with the time the
// line was printed (not when minicloud read it): an app with a web and a worker process, on host processes and on
// Docker, read back with `minicloud logs` as a user types it and from the API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MergedLogEvent } from '../../src/core/index.ts';
import { deployedFixture } from '../helpers/deployed.ts';
import { dockerHost } from '../helpers/docker.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

type Line = Extract<MergedLogEvent, { type: 'line' }>;

const RUNTIMES: Array<{ name: string; env: Record<string, string> }> = [
  { name: 'host processes', env: { MINICLOUD_RUNTIME: 'process' } },
  { name: 'Docker', env: { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test-logs-procs' } },
];

describe.each(RUNTIMES)('merged logs on $name', ({ env }) => {
  const APP = env.MINICLOUD_RUNTIME === 'docker' ? 'dk-chatty' : 'chatty';
  let redis: TestRedis;
  let mc: Minicloud;
  let said: { before: number; after: number };

  beforeAll(async () => {
    redis = await startRedis();
    mc = await startMinicloud(redis.url, env);
    await deployedFixture(mc, APP, 'node-logs');
    expect((await mc.cli('ps:scale', APP, 'worker=1')).code).toBe(0);
    const before = Date.now();
    expect((await get(mc.httpPort, `${APP}.localhost`, '/say/first')).status).toBe(200);
    said = { before, after: Date.now() };
    // Lines read later than they were printed: an estimate would say when they were read (or the file's last change).
    await new Promise((r) => setTimeout(r, 4000));
    expect((await get(mc.httpPort, `${APP}.localhost`, '/say/second')).status).toBe(200);
  });

  afterAll(async () => {
    await mc?.stop();
    await redis?.stop();
  });

  it('`minicloud logs` tags each app line app[web.1] or app[worker.1], with the time it was printed', async () => {
    const out = await until('both processes\' lines in `minicloud logs`', async () => {
      const r = await mc.cli('logs', APP, '-n', '300');
      return r.code === 0 && /web says second/.test(r.stdout) && /worker tick \d+ on stderr/.test(r.stdout) ? r.stdout : undefined;
    }, 60_000);
    const first = /^(\S+) app\[web\.1\]: web says first$/m.exec(out);
    expect(first, out).not.toBeNull();
    // Its own time, to the second (the CLI prints whole seconds): not 4 s later when the next line came.
    const t = Date.parse(first![1]!);
    expect(t).toBeGreaterThanOrEqual(Math.floor(said.before / 1000) * 1000);
    expect(t).toBeLessThanOrEqual(said.after + 1500);
    expect(out).toMatch(/^\S+Z app\[web\.1\]: web listening$/m);
    expect(out).toMatch(/^\S+Z app\[worker\.1\]: worker tick \d+$/m);
    expect(out).toMatch(/^\S+Z app\[worker\.1\]: worker tick \d+ on stderr$/m);
    // Every line of the app's own output names its instance and carries its own time (no ~ estimate).
    const appLines = out.split('\n').filter((l) => / app(\[|:)/.test(l) && !/ app: (cron|minicloud)/.test(l));
    expect(appLines.filter((l) => l.startsWith('~') || !/ app\[(web|worker)\.1\]: /.test(l))).toEqual([]);
  });

  it('the API gives the instance as `process`, and the times in order', async () => {
    const res = await fetch(`${mc.apiUrl}/api/apps/${APP}/logs?source=app&lines=300`, { headers: { authorization: `Bearer ${mc.token}` } });
    expect(res.status).toBe(200);
    const lines = (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as MergedLogEvent).filter((e): e is Line => e.type === 'line');
    const first = lines.find((e) => e.text === 'web says first');
    expect(first).toMatchObject({ source: 'app', process: 'web.1' });
    expect(first).not.toHaveProperty('estimated');
    expect(Date.parse(first!.time)).toBeGreaterThanOrEqual(said.before - 5);
    expect(Date.parse(first!.time)).toBeLessThanOrEqual(said.after + 1500); // the engine stamps a line as it reads it
    expect(lines.filter((e) => e.text.startsWith('worker tick')).every((e) => e.process === 'worker.1')).toBe(true);
    const times = lines.map((e) => e.time);
    expect(times).toEqual([...times].sort());
  });
});
