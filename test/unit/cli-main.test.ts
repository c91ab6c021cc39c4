// Contract tests of the CLI: main() against a real node:http server with canned API answers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { app, deploy, instance, printed, sendJson, useCliServer } from './cli-harness.ts';

const srv = useCliServer();
const run = srv.run;

describe('argument checks happen before any request', () => {
  it.each(['../x', 'A B', 'a'.repeat(64)])('refuses app name %j', async (name) => {
    for (const argv of [['apps:create', name], ['apps:info', name], ['config', '-a', name]]) {
      const r = await run(argv);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^ ! {5}(invalid app name|app name is 64 characters)/);
    }
    expect(srv.seen).toEqual([]);
  });

  it('names an unknown command and a missing app', async () => {
    const r = await run(['frobnicate']);
    expect(r).toMatchObject({ code: 1, stderr: ' !     unknown command "frobnicate"\n !     run `minicloud help` to see the commands\n' });
    const m = await run(['ps']);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/^ ! {5}missing app name\n ! {5}usage: minicloud ps <app>/);
    expect(srv.seen).toEqual([]);
  });

  it('apps:destroy needs a matching --confirm', async () => {
    const r = await run(['apps:destroy', 'my-app', '--confirm', 'other']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(' !     This deletes my-app and everything it runs\n !     run again with `--confirm my-app`\n');
    expect(srv.seen).toEqual([]);
    srv.handler = (_q, res) => void res.writeHead(204).end();
    expect((await run(['apps:destroy', 'my-app', '--confirm', 'my-app'])).code).toBe(0);
    expect(srv.seen.map((s) => `${s.method} ${s.url}`)).toEqual(['DELETE /api/apps/my-app?confirm=my-app']);
  });

  it('help lists every command', async () => {
    const r = await run([]);
    expect(r.code).toBe(0);
    const names = ['login', 'apps', 'apps:create', 'apps:info', 'apps:destroy', 'git:remote', 'config:set', 'config:unset', 'releases', 'logs', 'ps', 'restart'];
    names.push('apps:stop', 'apps:start', 'apps:sleep', 'rollback', 'ps:scale', 'run');
    // A usage too long for the first column has its summary on the line below.
    for (const c of names) expect(r.stdout).toMatch(new RegExp(`^  ${c}( .*  [a-z]|.*\\n {30,}[a-z])`, 'm'));
    expect(r.stdout.split('\n').filter((l) => l.length > 100)).toEqual([]);
  });
});

describe('talking to the API', () => {
  it('apps:create prints the URLs and how to push', async () => {
    srv.handler = (_q, res) => sendJson(res, 201, app);
    const r = await run(['apps:create', 'my-app']);
    expect(r.code).toBe(0);
    expect(srv.seen).toEqual([{ method: 'POST', url: '/api/apps', auth: 'Bearer tok-123', body: { name: 'my-app' } }]);
    expect(r.stdout).toBe(
      [
        '-----> Created my-app',
        '       URL:        http://my-app.localhost:7080',
        '       Git remote: http://localhost:7080/git/my-app.git',
        '',
        "In your app's git repository, add the remote and push:",
        '  git remote add minicloud http://localhost:7080/git/my-app.git',
        '  git push minicloud main',
        '(or run `minicloud git:remote my-app` there: it also lets git use your token)',
        '',
      ].join('\n'),
    );
  });

  it('config:set sends a PATCH and never prints the values', async () => {
    srv.handler = (_q, res) => sendJson(res, 200, { config: {}, deploy: deploy({ release: 7 }) });
    const r = await run(['config:set', 'my-app', 'SECRET=hunter2', 'DB_URL=postgres://u:p@h/db?x=1']);
    expect(r.code).toBe(0);
    expect(srv.seen[0]).toMatchObject({ method: 'PATCH', url: '/api/apps/my-app/config', body: { SECRET: 'hunter2', DB_URL: 'postgres://u:p@h/db?x=1' } });
    expect(r.stdout).toBe('Setting SECRET and DB_URL and restarting my-app... done, v7\n');
    expect(r.stdout + r.stderr).not.toMatch(/hunter2|postgres/);
  });

  it('config:unset sends nulls; a failed restart is a failed command', async () => {
    srv.handler = (_q, res) => sendJson(res, 200, { config: {}, deploy: deploy({ status: 'failed', error: 'web.1 crashed on boot' }) });
    const r = await run(['config:unset', '-a', 'my-app', 'FOO']);
    expect(srv.seen[0]?.body).toEqual({ FOO: null });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('Unsetting FOO and restarting my-app... failed\n');
    expect(r.stderr).toContain(' !     web.1 crashed on boot\n');
  });

  it('config:set rejects bad arguments without a request', async () => {
    expect((await run(['config:set', 'my-app', 'NOEQUALS'])).stderr).toContain('expected KEY=value, got "NOEQUALS"');
    expect((await run(['config:set', 'my-app', '1BAD=x'])).stderr).toContain('invalid config var name "1BAD"');
    expect(srv.seen).toEqual([]);
  });

  it('ps and releases print one aligned line per item', async () => {
    const inst = instance({});
    const rel = { app: 'my-app', version: 3, status: 'succeeded', commit: '0123456789abcdef', description: 'Deploy 0123456', createdAt: '2024-05-01T12:00:00Z', buildpack: 'node', current: true };
    const answers: Record<string, unknown> = {
      '/api/apps/my-app/ps': [inst, { ...inst, id: 'i2', port: 40124, restarts: 2 }],
      '/api/apps/my-app/formation': { web: 2 },
      '/api/apps/my-app/releases': [rel],
    };
    srv.handler = (q, res) => sendJson(res, 200, answers[q.url]);
    const ps = await run(['ps', 'my-app']);
    expect(ps.stdout.split('\n')[0]).toBe('=== web (2)');
    expect(ps.stdout.split('\n')[1]).toMatch(/^web\.1  up  v3  port 40123  since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\ds ago\)  restarts 0$/);
    expect(ps.stdout.split('\n')[2]).toMatch(/^web\.2  up  v3  port 40124 .* restarts 2$/);
    const releases = await run(['releases', 'my-app']);
    expect(releases.stdout).toMatch(/^VERSION\s+STATUS\s+DESCRIPTION\s+COMMIT\s+AUTHOR\s+MESSAGE\s+CREATED\nv3 \(current\)  succeeded  Deploy 0123456  0123456  -\s+-\s+2024-05-01/);
    srv.handler = (q, res) => sendJson(res, 200, q.url.endsWith('/formation') ? {} : []);
    expect((await run(['ps', 'my-app'])).stdout).toBe('no instances running\n');
  });

  it('renders an API error with its hint', async () => {
    srv.handler = (_q, res) => sendJson(res, 404, { error: 'app "nope" not found', hint: 'run `minicloud apps` to list your apps' });
    const r = await run(['releases', 'nope']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: ' !     app "nope" not found\n !     run `minicloud apps` to list your apps\n' });
  });

  it('a 401 says how to log in', async () => {
    srv.handler = (_q, res) => sendJson(res, 401, { error: 'invalid token' });
    const r = await run(['apps']);
    expect(r).toMatchObject({ code: 1, stderr: ' !     invalid token\n !     run `minicloud login` with a valid token\n' });
  });

  it('says when the server cannot be reached', async () => {
    const url = srv.baseUrl;
    await srv.stop();
    const r = await run(['apps'], { env: { MINICLOUD_URL: url } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(` !     cannot reach minicloud at ${url}\n !     is \`npm start\` running? set MINICLOUD_URL to point elsewhere\n`);
  });

  it('without a token asks to log in, before any request', async () => {
    const r = await run(['apps'], { env: { MINICLOUD_TOKEN: undefined, MINICLOUD_DATA: join(srv.home, 'no-data') } });
    expect(r).toMatchObject({ code: 1, stderr: ' !     not logged in\n !     run `minicloud login` or set MINICLOUD_TOKEN\n' });
    expect(srv.seen).toEqual([]);
  });

  it("on the server's machine, uses the admin token file of the data directory", async () => {
    mkdirSync(join(srv.home, 'data'));
    writeFileSync(join(srv.home, 'data', 'admin.token'), 'tok-from-file\n', { mode: 0o600 });
    srv.handler = (_q, res) => sendJson(res, 200, []);
    const r = await run(['apps'], { env: { MINICLOUD_TOKEN: undefined, MINICLOUD_DATA: join(srv.home, 'data') } });
    expect(r.code).toBe(0);
    expect(srv.seen[0]?.auth).toBe('Bearer tok-from-file');
  });
});

describe('logs', () => {
  it('follows a build log as it arrives and fails on a failed end event', async () => {
    let release!: () => void;
    const firstLinePrinted = new Promise<void>((ok) => (release = ok));
    srv.handler = async (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(JSON.stringify({ type: 'line', seq: 1, time: '', text: '-----> Building' }) + '\n');
      await firstLinePrinted; // proves the CLI printed before the stream ended
      res.write(JSON.stringify({ type: 'line', seq: 2, time: '', text: 'npm ERR! boom' }) + '\n{"type":"end","status":"fa');
      res.write('iled","release":null,"url":null,"error":"build failed: npm exited 1"}\n');
      // The connection stays open: the end event alone must end the command.
    };
    const pending = run(['logs', 'my-app', '--build', '-f', '-n', '50']);
    const streamed = (await printed(srv, '-----> Building')) && srv.liveStdout() === '-----> Building\n';
    release();
    const r = await pending;
    expect(streamed).toBe(true);
    expect(srv.seen[0]?.url).toBe('/api/apps/my-app/logs?build=1&lines=50&follow=1');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('-----> Building\nnpm ERR! boom\n');
    expect(r.stderr).toContain('build failed');
  });

  it('prints the merged logs with times and sources, an estimated time marked ~, and exits 0', async () => {
    srv.handler = (_q, res) => {
      res.writeHead(200).end([
        { type: 'line', seq: 1, time: '2026-11-25T10:00:00.123Z', source: 'build', text: '-----> Building' },
        { type: 'ping', time: '2026-11-25T10:00:01.000Z' },
        { type: 'line', seq: 2, time: '2026-11-25T10:00:02.000Z', source: 'app', text: 'listening on 5000', estimated: true },
        { type: 'line', seq: 3, time: '2026-11-25T10:00:03.000Z', source: 'router', text: 'GET my-app.localhost / 200 12 3 abc' },
      ].map((e) => JSON.stringify(e)).join('\n') + '\n');
    };
    const r = await run(['logs', 'my-app']);
    expect(r).toEqual({
      code: 0, stderr: '',
      stdout: '2026-11-25T10:00:00Z build: -----> Building\n~2026-11-25T10:00:02Z app: listening on 5000\n2026-11-25T10:00:03Z router: GET my-app.localhost / 200 12 3 abc\n',
    });
    expect(srv.seen[0]?.url).toBe('/api/apps/my-app/logs?source=app%2Crouter%2Cbuild%2Crelease');
  });

  it('asks for the chosen sources, refusing an unknown one before any request', async () => {
    srv.handler = (_q, res) => void res.writeHead(200).end();
    expect((await run(['logs', 'my-app', '--source', 'router,app', '-f', '-n', '5'])).code).toBe(0);
    expect(srv.seen[0]?.url).toBe('/api/apps/my-app/logs?source=router%2Capp&lines=5&follow=1');
    const bad = await run(['logs', 'my-app', '--source', 'app,nginx']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown log source "nginx"');
    const both = await run(['logs', 'my-app', '--router', '--source', 'app']);
    expect(both.stderr).toContain('--router and --source do not go together');
    expect(srv.seen).toHaveLength(1);
  });

  it('explains estimated times in its help', async () => {
    const r = await run(['help', 'logs']);
    expect(r.stdout).toContain('A time with ~ in front is minicloud\'s estimate');
  });
});
