// Contract tests of the CLI: main() against a real node:http server with canned API answers.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { AppInfo, Deploy } from '../../src/core/index.ts';

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: unknown;
}
type Handler = (req: Seen, res: ServerResponse) => void | Promise<void>;

let server: Server;
let baseUrl: string;
let seen: Seen[];
let handler: Handler;
let home: string;
/** The stdout of the run in progress, so a server handler can see what the CLI printed so far. */
let liveStdout: () => string = () => '';

beforeEach(async () => {
  seen = [];
  handler = (_req, res) => sendJson(res, 500, { error: 'no route in this test' });
  home = mkdtempSync(join(tmpdir(), 'minicloud-cli-'));
  server = createServer(async (req: IncomingMessage, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const rec = { method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body: raw ? JSON.parse(raw) : undefined };
    seen.push(rec);
    await handler(rec, res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
  rmSync(home, { recursive: true, force: true });
});

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function run(argv: string[], opts: { env?: Record<string, string | undefined>; stdin?: string; cwd?: string } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  liveStdout = () => out.join('');
  const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'xdg'), MINICLOUD_URL: baseUrl, MINICLOUD_TOKEN: 'tok-123', ...opts.env };
  const code = await main(argv, {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    stdin: Readable.from(opts.stdin === undefined ? [] : [opts.stdin]),
    env,
    cwd: opts.cwd ?? home,
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const app: AppInfo = {
  name: 'my-app',
  deployBranch: 'main',
  createdAt: '2024-05-01T12:00:00Z',
  currentRelease: null,
  state: 'running',
  url: 'http://my-app.localhost:7080',
  gitUrl: 'http://localhost:7080/git/my-app.git',
};

function deploy(over: Partial<Deploy>): Deploy {
  const base: Deploy = { id: 'd1', app: 'my-app', kind: 'release', status: 'succeeded', ref: null, commit: null, release: 4, error: null, createdAt: '', finishedAt: '' };
  return { ...base, ...over };
}

describe('argument checks happen before any request', () => {
  it.each(['../x', 'A B', 'a'.repeat(64)])('refuses app name %j', async (name) => {
    for (const argv of [['apps:create', name], ['apps:info', name], ['config', '-a', name]]) {
      const r = await run(argv);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^ ! {5}(invalid app name|app name is 64 characters)/);
    }
    expect(seen).toEqual([]);
  });

  it('names an unknown command and a missing app', async () => {
    const r = await run(['frobnicate']);
    expect(r).toMatchObject({ code: 1, stderr: ' !     unknown command "frobnicate"\n !     run `minicloud help` to see the commands\n' });
    const m = await run(['ps']);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/^ ! {5}missing app name\n ! {5}usage: minicloud ps <app>/);
    expect(seen).toEqual([]);
  });

  it('apps:destroy needs a matching --confirm', async () => {
    const r = await run(['apps:destroy', 'my-app', '--confirm', 'other']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(' !     This deletes my-app and everything it runs\n !     run again with `--confirm my-app`\n');
    expect(seen).toEqual([]);
    handler = (_q, res) => void res.writeHead(204).end();
    expect((await run(['apps:destroy', 'my-app', '--confirm', 'my-app'])).code).toBe(0);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['DELETE /api/apps/my-app?confirm=my-app']);
  });

  it('help lists every command', async () => {
    const r = await run([]);
    expect(r.code).toBe(0);
    for (const c of ['login', 'apps ', 'apps:create', 'apps:info', 'apps:destroy', 'git:remote', 'config:set', 'config:unset', 'releases', 'logs', 'ps', 'restart']) {
      expect(r.stdout).toContain(c);
    }
  });
});

describe('talking to the API', () => {
  it('apps:create prints the URLs and how to push', async () => {
    handler = (_q, res) => sendJson(res, 201, app);
    const r = await run(['apps:create', 'my-app']);
    expect(r.code).toBe(0);
    expect(seen).toEqual([{ method: 'POST', url: '/api/apps', auth: 'Bearer tok-123', body: { name: 'my-app' } }]);
    expect(r.stdout).toBe(
      [
        '-----> Created my-app',
        '       URL:        http://my-app.localhost:7080',
        '       Git remote: http://localhost:7080/git/my-app.git',
        '',
        'Add the remote and push:',
        '  git remote add minicloud http://localhost:7080/git/my-app.git',
        '  git push minicloud main',
        '',
      ].join('\n'),
    );
  });

  it('config:set sends a PATCH and never prints the values', async () => {
    handler = (_q, res) => sendJson(res, 200, { config: {}, deploy: deploy({ release: 7 }) });
    const r = await run(['config:set', 'my-app', 'SECRET=hunter2', 'DB_URL=postgres://u:p@h/db?x=1']);
    expect(r.code).toBe(0);
    expect(seen[0]).toMatchObject({ method: 'PATCH', url: '/api/apps/my-app/config', body: { SECRET: 'hunter2', DB_URL: 'postgres://u:p@h/db?x=1' } });
    expect(r.stdout).toBe('Setting SECRET and DB_URL and restarting my-app... done, v7\n');
    expect(r.stdout + r.stderr).not.toMatch(/hunter2|postgres/);
  });

  it('config:unset sends nulls; a failed restart is a failed command', async () => {
    handler = (_q, res) => sendJson(res, 200, { config: {}, deploy: deploy({ status: 'failed', error: 'web.1 crashed on boot' }) });
    const r = await run(['config:unset', '-a', 'my-app', 'FOO']);
    expect(seen[0]?.body).toEqual({ FOO: null });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('Unsetting FOO and restarting my-app... failed\n');
    expect(r.stderr).toContain(' !     web.1 crashed on boot\n');
  });

  it('config:set rejects bad arguments without a request', async () => {
    expect((await run(['config:set', 'my-app', 'NOEQUALS'])).stderr).toContain('expected KEY=value, got "NOEQUALS"');
    expect((await run(['config:set', 'my-app', '1BAD=x'])).stderr).toContain('invalid config var name "1BAD"');
    expect(seen).toEqual([]);
  });

  it('ps and releases print one aligned line per item', async () => {
    const inst = { id: 'i1', app: 'my-app', release: 3, type: 'web', port: 40123, pid: 1, state: 'up', startedAt: new Date().toISOString(), restarts: 0 };
    const rel = { app: 'my-app', version: 3, status: 'succeeded', commit: '0123456789abcdef', description: 'Deploy 0123456', createdAt: '2024-05-01T12:00:00Z', buildpack: 'node', current: true };
    handler = (q, res) => sendJson(res, 200, q.url.endsWith('/ps') ? [inst, { ...inst, id: 'i2', port: 40124, restarts: 2 }] : [rel]);
    const ps = await run(['ps', 'my-app']);
    expect(ps.stdout.split('\n')[0]).toMatch(/^web\.1  up  v3  port 40123  since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\ds ago\)  restarts 0$/);
    expect(ps.stdout.split('\n')[1]).toMatch(/^web\.2  up  v3  port 40124 .* restarts 2$/);
    const releases = await run(['releases', 'my-app']);
    expect(releases.stdout).toMatch(/^VERSION\s+STATUS\s+DESCRIPTION\s+COMMIT\s+CREATED\nv3 \(current\)  succeeded  Deploy 0123456  0123456  2024-05-01/);
    handler = (_q, res) => sendJson(res, 200, []);
    expect((await run(['ps', 'my-app'])).stdout).toBe('no instances running\n');
  });

  it('renders an API error with its hint', async () => {
    handler = (_q, res) => sendJson(res, 404, { error: 'app "nope" not found', hint: 'run `minicloud apps` to list your apps' });
    const r = await run(['releases', 'nope']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: ' !     app "nope" not found\n !     run `minicloud apps` to list your apps\n' });
  });

  it('a 401 says how to log in', async () => {
    handler = (_q, res) => sendJson(res, 401, { error: 'invalid token' });
    const r = await run(['apps']);
    expect(r).toMatchObject({ code: 1, stderr: ' !     invalid token\n !     run `minicloud login` with a valid token\n' });
  });

  it('says when the server cannot be reached', async () => {
    const url = baseUrl;
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
    const r = await run(['apps'], { env: { MINICLOUD_URL: url } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(` !     cannot reach minicloud at ${url}\n !     is \`npm start\` running? set MINICLOUD_URL to point elsewhere\n`);
    server = createServer().listen(0); // for afterEach
  });

  it('without a token asks to log in, before any request', async () => {
    const r = await run(['apps'], { env: { MINICLOUD_TOKEN: undefined, MINICLOUD_DATA: join(home, 'no-data') } });
    expect(r).toMatchObject({ code: 1, stderr: ' !     not logged in\n !     run `minicloud login` or set MINICLOUD_TOKEN\n' });
    expect(seen).toEqual([]);
  });

  it("on the server's machine, uses the admin token file of the data directory", async () => {
    mkdirSync(join(home, 'data'));
    writeFileSync(join(home, 'data', 'admin.token'), 'tok-from-file\n', { mode: 0o600 });
    handler = (_q, res) => sendJson(res, 200, []);
    const r = await run(['apps'], { env: { MINICLOUD_TOKEN: undefined, MINICLOUD_DATA: join(home, 'data') } });
    expect(r.code).toBe(0);
    expect(seen[0]?.auth).toBe('Bearer tok-from-file');
  });
});

describe('logs', () => {
  it('follows a build log as it arrives and fails on a failed end event', async () => {
    let release!: () => void;
    const firstLinePrinted = new Promise<void>((ok) => (release = ok));
    handler = async (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(JSON.stringify({ type: 'line', seq: 1, time: '', text: '-----> Building' }) + '\n');
      await firstLinePrinted; // proves the CLI printed before the stream ended
      res.write(JSON.stringify({ type: 'line', seq: 2, time: '', text: 'npm ERR! boom' }) + '\n{"type":"end","status":"fa');
      res.write('iled","release":null,"url":null,"error":"build failed: npm exited 1"}\n');
      // The connection stays open: the end event alone must end the command.
    };
    const pending = run(['logs', 'my-app', '--build', '-f', '-n', '50']);
    const started = Date.now();
    while (!liveStdout().includes('-----> Building') && Date.now() - started < 5000) await new Promise((ok) => setTimeout(ok, 10));
    const streamed = liveStdout() === '-----> Building\n';
    release();
    const r = await pending;
    expect(streamed).toBe(true);
    expect(seen[0]?.url).toBe('/api/apps/my-app/logs?build=1&lines=50&follow=1');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('-----> Building\nnpm ERR! boom\n');
    expect(r.stderr).toContain('build failed');
  });

  it('prints app logs and exits 0', async () => {
    handler = (_q, res) => {
      res.writeHead(200).end('{"type":"line","seq":1,"time":"","text":"listening on 5000"}\n');
    };
    const r = await run(['logs', 'my-app']);
    expect(r).toEqual({ code: 0, stdout: 'listening on 5000\n', stderr: '' });
    expect(seen[0]?.url).toBe('/api/apps/my-app/logs');
  });
});
