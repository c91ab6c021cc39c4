// The merged logs of a real deployed app: GET /api/apps/:app/logs?source=... and `minicloud logs <app> [-f]`.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MergedLogEvent } from '../../src/core/index.ts';
import { deployedFixture } from '../helpers/deployed.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

const CLI = fileURLToPath(new URL('../../scripts/minicloud.mjs', import.meta.url));
const LINE = /^~?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (app(\[web\.1\])?|router|build|release): /;

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  await deployedFixture(mc, 'merged');
  expect((await get(mc.httpPort, 'merged.localhost', '/merged-1')).status).toBe(200);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

async function events(query: string): Promise<{ status: number; events: MergedLogEvent[] }> {
  const res = await fetch(`${mc.apiUrl}/api/apps/merged/logs?${query}`, { headers: { authorization: `Bearer ${mc.token}` } });
  const text = await res.text();
  return { status: res.status, events: res.ok ? text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as MergedLogEvent) : [JSON.parse(text)] };
}
const lines = (list: MergedLogEvent[]) => list.filter((e): e is Extract<MergedLogEvent, { type: 'line' }> => e.type === 'line');

describe('merged logs', () => {
  it('the API merges app, router and build lines in time order, app lines with their instance and own time', async () => {
    const { status, events: all } = await events('source=app,router,build&lines=1000');
    expect(status).toBe(200);
    const got = lines(all);
    expect(new Set(got.map((e) => e.source))).toEqual(new Set(['app', 'router', 'build']));
    const times = got.map((e) => e.time);
    expect(times).toEqual([...times].sort());
    expect(got.find((e) => e.source === 'build' && e.text.startsWith('-----> Building merged'))).not.toHaveProperty('estimated');
    expect(got.find((e) => e.source === 'router' && / \/merged-1 200 /.test(e.text))).toMatchObject({ text: expect.stringMatching(/^GET merged\.localhost \/merged-1 200 /) });
    const listening = got.find((e) => e.source === 'app' && e.text.startsWith('listening on'));
    expect(listening).toMatchObject({ process: 'web.1' });
    expect(listening).not.toHaveProperty('estimated');

    const routerOnly = lines((await events('source=router&lines=1000')).events);
    expect(routerOnly.length).toBeGreaterThan(0);
    expect(routerOnly.every((e) => e.source === 'router')).toBe(true);
    expect(await events('source=app,nginx')).toMatchObject({ status: 400, events: [{ error: 'unknown log source "nginx"' }] });
  });

  it('`minicloud logs` prints the merge, one timed and sourced line each', async () => {
    expect((await mc.api('PATCH', '/api/apps/merged/config', { FOO: 'bar' })).status).toBe(200); // a deploy that is no build
    const r = await mc.cli('logs', 'merged', '-n', '1000');
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout.trimEnd().split('\n');
    expect(out.every((l) => LINE.test(l)), out.find((l) => !LINE.test(l))).toBe(true);
    expect(r.stdout).toMatch(/^\d{4}-\S+Z router: GET merged\.localhost \/merged-1 200 /m);
    expect(r.stdout).toMatch(/^\d{4}-\S+Z build: -----> Building merged/m);
    expect(r.stdout).toMatch(/^\d{4}-\S+Z app\[web\.1\]: listening on \d+$/m);
    expect(r.stdout).toMatch(/^\d{4}-\S+Z release: -----> /m);
  });

  it('`minicloud logs -f` shows a new request as it happens', async () => {
    const child = spawn(process.execPath, [CLI, 'logs', 'merged', '-f', '--source', 'router', '-n', '0'], {
      env: { ...process.env, MINICLOUD_URL: mc.apiUrl, MINICLOUD_TOKEN: mc.token, XDG_CONFIG_HOME: mc.dataDir },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    try {
      // Until the CLI's stream is open, a request may come before it: ask again until one shows.
      await until('the followed request in the CLI output', async () => {
        await get(mc.httpPort, 'merged.localhost', '/followed');
        await new Promise((r) => setTimeout(r, 300));
        return out.includes('router: GET merged.localhost /followed 200') ? true : undefined;
      });
      expect(out.trimEnd().split('\n').every((l) => /^\d{4}-\S+Z router: GET merged\.localhost \/followed 200 /.test(l))).toBe(true);
      expect(child.exitCode).toBeNull(); // still following
    } finally {
      child.kill('SIGTERM');
    }
  });
});
