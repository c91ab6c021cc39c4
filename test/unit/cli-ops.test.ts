// Contract tests of the CLI's operations commands: rollback, ps:scale, ps states, apps:stop/start/sleep.
import { describe, expect, it } from 'vitest';
import { stateLabel } from '../../src/cli/commands/apps.ts';
import { app, deploy, instance, sendJson, useCliServer } from './cli-harness.ts';

const srv = useCliServer();
const run = srv.run;
const calls = () => srv.seen.map((s) => `${s.method} ${s.url}`);

describe('rollback', () => {
  it('posts the version asked for and names the new release', async () => {
    srv.handler = (_q, res) => sendJson(res, 201, { deploy: deploy({ kind: 'rollback', release: 6 }) });
    const r = await run(['rollback', 'my-app', 'v3']);
    expect(r).toEqual({ code: 0, stdout: 'Rolling back my-app... done, v6 (rolled back to v3)\n', stderr: '' });
    expect(srv.seen).toEqual([{ method: 'POST', url: '/api/apps/my-app/rollback', auth: 'Bearer tok-123', body: { version: 3 } }]);
    expect((await run(['rollback', '-a', 'my-app', '12'])).stdout).toBe('Rolling back my-app... done, v6 (rolled back to v12)\n');
    expect(srv.seen[1]?.body).toEqual({ version: 12 });
  });

  it('without a version, the server picks the release before the current one', async () => {
    srv.handler = (_q, res) => sendJson(res, 201, { deploy: deploy({ kind: 'rollback', release: 6 }) });
    const r = await run(['rollback', 'my-app']);
    expect(r.stdout).toBe('Rolling back my-app... done, v6 (rolled back to the previous release)\n');
    expect(srv.seen[0]?.body).toEqual({});
  });

  it('a failed rollback or an API error is a failed command', async () => {
    srv.handler = (_q, res) => sendJson(res, 201, { deploy: deploy({ status: 'failed', release: null, error: 'web.1 crashed on boot' }) });
    const failed = await run(['rollback', 'my-app', 'v2']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe('Rolling back my-app... failed\n');
    expect(failed.stderr).toContain(' !     web.1 crashed on boot\n');
    srv.handler = (_q, res) => sendJson(res, 404, { error: 'my-app has no release v9', hint: 'run `minicloud releases my-app`' });
    const missing = await run(['rollback', 'my-app', 'v9']);
    expect(missing).toEqual({
      code: 1,
      stdout: 'Rolling back my-app... failed\n',
      stderr: ' !     my-app has no release v9\n !     run `minicloud releases my-app`\n',
    });
  });

  it.each(['v0', '0', 'x', 'v1.5', 'vv2', '3a'])('refuses release %j without a request', async (bad) => {
    const r = await run(['rollback', 'my-app', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(` !     invalid release ${JSON.stringify(bad)}\n !     give a release number such as v3 or 3 (see \`minicloud releases <app>\`)\n`);
    expect(srv.seen).toEqual([]);
  });

  it('refuses a second argument', async () => {
    expect((await run(['rollback', 'my-app', 'v2', 'v3'])).stderr).toContain('unexpected argument "v3"');
    expect(srv.seen).toEqual([]);
  });
});

describe('ps:scale and the formation', () => {
  it('patches the formation and prints what the server now wants', async () => {
    srv.handler = (_q, res) => sendJson(res, 200, { formation: { web: 3, worker: 1, clock: 0 }, instances: [] });
    const r = await run(['ps:scale', 'my-app', 'web=3', 'worker=1']);
    expect(r).toEqual({ code: 0, stdout: 'Scaling my-app... done\nweb=3 worker=1 clock=0\n', stderr: '' });
    expect(srv.seen).toEqual([{ method: 'PATCH', url: '/api/apps/my-app/formation', auth: 'Bearer tok-123', body: { web: 3, worker: 1 } }]);
  });

  it.each([
    [['Web=1'], 'invalid process type "Web" in "Web=1"'],
    [['1web=1'], 'invalid process type "1web" in "1web=1"'],
    [['=1'], 'invalid process type "" in "=1"'],
    [['web=101'], 'invalid instance count "101" in "web=101"'],
    [['web=1', 'worker=-1'], 'invalid instance count "-1" in "worker=-1"'],
    [['web=x'], 'invalid instance count "x" in "web=x"'],
    [['web=1.5'], 'invalid instance count "1.5" in "web=1.5"'],
    [['web='], 'invalid instance count "" in "web="'],
    [['web'], 'expected type=N, got "web"'],
    [['web=1', 'web=2'], 'web is given twice'],
    [[], 'no process types given'],
  ])('refuses %j without a request', async (argv, message) => {
    const r = await run(['ps:scale', 'my-app', ...argv]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(` !     ${message}`);
    expect(srv.seen).toEqual([]);
  });

  it('accepts the bounds 0 and 100', async () => {
    srv.handler = (q, res) => sendJson(res, 200, { formation: q.body, instances: [] });
    expect((await run(['ps:scale', '-a', 'my-app', 'web=100', 'worker=0'])).stdout).toBe('Scaling my-app... done\nweb=100 worker=0\n');
  });

  it('ps prints the formation above the instances; --json prints only the instances', async () => {
    const list = [instance({}), instance({ id: 'i2', type: 'worker', port: 40124 })];
    srv.handler = (q, res) => sendJson(res, 200, q.url.endsWith('/formation') ? { web: 3, worker: 1 } : list);
    const r = await run(['ps', 'my-app']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 3)).toEqual(['=== web (3), worker (1)', expect.stringMatching(/^web\.1 +up /), expect.stringMatching(/^worker\.1 +up /)]);
    expect(calls().sort()).toEqual(['GET /api/apps/my-app', 'GET /api/apps/my-app/cron', 'GET /api/apps/my-app/formation', 'GET /api/apps/my-app/ps', 'GET /api/status']);
    expect(r.stdout).not.toContain('Pinned');
    srv.seen = [];
    const j = await run(['ps', 'my-app', '--json']);
    expect(JSON.parse(j.stdout)).toEqual(list);
    expect(calls()).toEqual(['GET /api/apps/my-app/ps']);
  });

  it('ps on a swarm says an app with storage is pinned to the node holding it', async () => {
    const list = [instance({ host: '10.0.0.1' })];
    srv.handler = (q, res) => sendJson(res, 200, q.url.endsWith('/formation') ? { web: 1 } : q.url === '/api/status' ? { runtime: 'swarm' } : q.url.endsWith('/storage') ? [{ path: '/data' }] : list);
    const r = await run(['ps', 'my-app']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Pinned to the node holding its storage (/data): 10.0.0.1; deploys stop it before starting the new release');
  });
});

describe('ps states', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  const at = (ms: number) => new Date(now + ms).toISOString();

  it.each([
    [{ state: 'up' }, 'up'],
    [{ state: 'up', restarts: 7 }, 'up'],
    [{ state: 'starting' }, 'starting'],
    [{ state: 'crashed' }, 'crashed'],
    [{ state: 'crashed', nextRestartAt: at(4200) }, 'crashed, restarting in 5 s'],
    [{ state: 'crashed', nextRestartAt: at(1000) }, 'crashed, restarting in 1 s'],
    [{ state: 'crashed', nextRestartAt: at(-300) }, 'crashed, restarting now'],
    [{ state: 'crashed', restarts: 2, nextRestartAt: at(500) }, 'crashed, restarting in 1 s'],
    [{ state: 'crashed', restarts: 3 }, 'crashed (crash-looping, 3 restarts)'],
    [{ state: 'crashed', nextRestartAt: at(2000), lastExit: { cause: 'oom', code: 137, at: at(-100) } }, 'crashed: out of memory, restarting in 2 s'],
    [{ state: 'crashed', restarts: 5, nextRestartAt: at(30_000) }, 'crashed, restarting in 30 s (crash-looping, 5 restarts)'],
  ] as const)('%j is %j', (over, label) => {
    expect(stateLabel(instance(over), now)).toBe(label);
  });

  it('ps shows a crashed instance waiting to restart and a crash-looping one', async () => {
    srv.handler = (q, res) => {
      const list = [
        instance({ state: 'crashed', restarts: 1, nextRestartAt: new Date(Date.now() + 4500).toISOString() }),
        instance({ id: 'i2', port: 40124, state: 'crashed', restarts: 4, nextRestartAt: null }),
      ];
      sendJson(res, 200, q.url.endsWith('/formation') ? { web: 2 } : list);
    };
    const lines = (await run(['ps', 'my-app'])).stdout.split('\n');
    expect(lines[1]).toMatch(/^web\.1  crashed, restarting in 5 s           v3  port 40123  since .* restarts 1$/);
    expect(lines[2]).toMatch(/^web\.2  crashed \(crash-looping, 4 restarts\)  v3  port 40124  since .* restarts 4$/);
  });

  it('ps says how an instance last ended: out of memory, after its restart too', async () => {
    srv.handler = (q, res) => {
      const lastExit = { cause: 'oom' as const, code: 137, at: new Date(Date.now() - 3000).toISOString() };
      sendJson(res, 200, q.url.endsWith('/formation') ? { web: 1 } : [instance({ state: 'up', restarts: 1, lastExit })]);
    };
    const lines = (await run(['ps', 'my-app'])).stdout.split('\n');
    expect(lines[1]).toMatch(/^web\.1  up  v3  port 40123  since .* restarts 1 \(last: out of memory \d+s ago\)$/);
  });
});

describe('apps:stop, apps:start and apps:sleep', () => {
  it('apps:stop posts and says how to start again', async () => {
    srv.handler = (_q, res) => sendJson(res, 200, { ...app, state: 'stopped' });
    const r = await run(['apps:stop', 'my-app']);
    expect(r).toEqual({ code: 0, stdout: 'Stopping my-app... done\nStart it again with `minicloud apps:start my-app`\n', stderr: '' });
    expect(calls()).toEqual(['POST /api/apps/my-app/stop']);
  });

  it('apps:start reports the release, and fails with the deploy', async () => {
    srv.handler = (_q, res) => sendJson(res, 200, { deploy: deploy({ kind: 'restart', release: 5 }) });
    expect(await run(['apps:start', '-a', 'my-app'])).toEqual({ code: 0, stdout: 'Starting my-app... done, v5\n', stderr: '' });
    expect(calls()).toEqual(['POST /api/apps/my-app/start']);
    srv.handler = (_q, res) => sendJson(res, 200, { deploy: null });
    expect((await run(['apps:start', 'my-app'])).stdout).toBe('Starting my-app... done\n');
    srv.handler = (_q, res) => sendJson(res, 200, { deploy: deploy({ status: 'failed', error: 'web.1 exited 1 before listening' }) });
    const r = await run(['apps:start', 'my-app']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('Starting my-app... failed\n');
    expect(r.stderr).toContain(' !     web.1 exited 1 before listening\n');
  });

  it.each([
    ['15m', 900, 'my-app sleeps after 15m without requests'],
    ['30', 1800, 'my-app sleeps after 30m without requests'],
    ['2h', 7200, 'my-app sleeps after 2h without requests'],
    ['90s', 90, 'my-app sleeps after 90s without requests'],
    ['60s', 60, 'my-app sleeps after 1m without requests'],
    ['168h', 604800, 'my-app sleeps after 168h without requests'],
    ['off', null, 'my-app never sleeps'],
    ['never', null, 'my-app never sleeps'],
  ])('apps:sleep %s puts %j', async (arg, afterSeconds, line) => {
    srv.handler = (q, res) => sendJson(res, 200, { ...app, sleepAfterSeconds: (q.body as { afterSeconds: number | null }).afterSeconds });
    const r = await run(['apps:sleep', 'my-app', arg]);
    expect(r).toEqual({ code: 0, stdout: `${line}\n`, stderr: '' });
    expect(srv.seen).toEqual([{ method: 'PUT', url: '/api/apps/my-app/sleep', auth: 'Bearer tok-123', body: { afterSeconds } }]);
  });

  it('apps:sleep now puts the app to sleep at once', async () => {
    srv.handler = (_q, res) => sendJson(res, 200, { ...app, state: 'sleeping' });
    const r = await run(['apps:sleep', 'my-app', 'now']);
    expect(r).toEqual({ code: 0, stdout: 'my-app is asleep; its next request wakes it\n', stderr: '' });
    expect(srv.seen).toEqual([{ method: 'PUT', url: '/api/apps/my-app/sleep', auth: 'Bearer tok-123', body: { now: true } }]);
  });

  it.each([
    ['30s', '"30s" is too short'],
    ['0', '"0" is too short'],
    ['169h', '"169h" is too long'],
    ['10081', '"10081" is too long'],
    ['1.5h', 'invalid duration "1.5h"'],
    ['2d', 'invalid duration "2d"'],
    ['soon', 'invalid duration "soon"'],
  ])('apps:sleep refuses %j without a request', async (arg, message) => {
    const r = await run(['apps:sleep', 'my-app', arg]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toContain(` !     ${message}`);
    expect(r.stderr.split('\n')[1]).toMatch(/^ ! {5}\S/);
    expect(srv.seen).toEqual([]);
  });

  it('apps:sleep needs exactly one duration', async () => {
    expect((await run(['apps:sleep', 'my-app'])).stderr).toContain('no duration given');
    expect((await run(['apps:sleep', 'my-app', '15m', '2h'])).stderr).toContain('unexpected argument "2h"');
    expect(srv.seen).toEqual([]);
  });

  it('apps and apps:info show a sleeping app and its sleep setting', async () => {
    const sleeping = { ...app, currentRelease: 3, state: 'sleeping', sleepAfterSeconds: 900, instances: [] };
    srv.handler = (q, res) => sendJson(res, 200, q.url === '/api/apps' ? [sleeping] : sleeping);
    expect((await run(['apps'])).stdout.split('\n')[1]).toMatch(/^my-app +v3 +sleeping +http:/);
    const info = (await run(['apps:info', 'my-app'])).stdout;
    expect(info).toMatch(/^State: +sleeping$/m);
    expect(info).toMatch(/^Sleeps after: +15m$/m);
    srv.handler = (_q, res) => sendJson(res, 200, { ...app, instances: [] });
    expect((await run(['apps:info', 'my-app'])).stdout).toMatch(/^Sleeps after: +never$/m);
  });
});
