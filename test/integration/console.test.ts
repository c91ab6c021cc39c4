// `minicloud run <app> bash` from a terminal: the real CLI under a pseudo-terminal (node-pty), against a real server on
// host processes. Typed commands run in the app's environment, the window size follows, Ctrl-C reaches the remote,
// the exit code comes back, a cut connection leaves nothing running, and the websocket is refused without access.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn as spawnPty } from 'node-pty';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerStatus } from '../../src/core/index.ts';
import { cliInPty } from '../helpers/console.ts';
import { deployedFixture } from '../helpers/deployed.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { isAlive, waitFor } from '../helpers/proc.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const APP = 'konsole';
const IDLE_S = 8;

let redis: TestRedis;
let mc: Minicloud;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_CONSOLE_IDLE_TIMEOUT: String(IDLE_S) });
  await deployedFixture(mc, APP);
  expect((await mc.cli('config:set', APP, 'GREETING=hello-console')).code).toBe(0);
  expect((await mc.cli('apps:create', 'other')).code).toBe(0);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

describe('minicloud run <app> bash, from a terminal', () => {
  it('runs what is typed in the app environment and exits with its code', async () => {
    const c = cliInPty(mc, ['run', APP, 'bash']);
    c.pty.write('echo "[$GREETING-$PORT-$(id -un)]"; exit 3\r');
    const [, greeting] = await c.until(/\[(hello-console-\d+-[^\]\r\n]+)\]/);
    expect(greeting).toMatch(/^hello-console-\d+-/);
    expect(greeting).not.toMatch(/-root$/); // the app's own user, as its instances
    expect(await c.exited).toBe(3);
  });

  it('runs in a cgroup of the app\'s with its memory limit, where minicloud has cgroups', async (ctx) => {
    const status = JSON.parse((await mc.cli('status', '--json')).stdout) as ServerStatus;
    if (!status.limits?.mechanism.startsWith('cgroup')) return ctx.skip();
    expect((await mc.cli('resources:set', APP, 'memory=160M')).code).toBe(0);
    const c = cliInPty(mc, ['run', APP, 'bash']);
    c.pty.write('grep -E "memory|^0::" /proc/$$/cgroup | sed "s/^/cg=/"\r');
    const [, v1, path] = await c.until(/cg=\d+:(memory)?:(\S*konsole\.run\.\S+?)\r?$/m);
    // The group's directory, wherever this machine mounts the hierarchy: its memory limit is the app's.
    const name = path!.split('/').pop()!;
    const root = v1 ? '/sys/fs/cgroup/memory' : '/sys/fs/cgroup';
    const dir = execFileSync('find', [root, '-maxdepth', '6', '-type', 'd', '-name', name], { encoding: 'utf8' }).trim().split('\n')[0]!;
    expect(dir, `${name} under ${root}`).not.toBe('');
    const limit = readFileSync(join(dir, v1 ? 'memory.limit_in_bytes' : 'memory.max'), 'utf8').trim();
    expect(Number(limit)).toBe(160 * 1024 * 1024);
    c.pty.write('exit\r');
    expect(await c.exited).toBe(0);
    expect((await mc.cli('resources:set', APP, 'memory=default')).code).toBe(0);
  });

  it('passes the window size on, and its changes', async () => {
    const c = cliInPty(mc, ['run', APP, 'bash']);
    c.pty.write('stty size\r');
    await c.until(/^30 100\r?$/m);
    c.pty.resize(120, 40); // the CLI's SIGWINCH becomes a resize message
    await new Promise((r) => setTimeout(r, 500));
    c.pty.write('stty size\r');
    await c.until(/^40 120\r?$/m);
    c.pty.write('exit\r');
    expect(await c.exited).toBe(0);
  });

  it('sends Ctrl-C to the remote command, not to the CLI', async () => {
    const c = cliInPty(mc, ['run', APP, 'bash']);
    c.pty.write('echo "ready"-for-sleep; sleep 300\r');
    await c.until(/ready-for-sleep/);
    await new Promise((r) => setTimeout(r, 500));
    c.pty.write('\x03');
    c.pty.write('echo "interrupted:$?"\r');
    await c.until(/interrupted:130/);
    c.pty.write('exit 0\r');
    expect(await c.exited).toBe(0);
  });

  it('ends the remote command and everything it started when the connection is cut', async () => {
    const c = cliInPty(mc, ['run', APP, 'bash']);
    c.pty.write('sleep 600 & echo "pids:$$:$!:"\r');
    const [, shell, sleeper] = (await c.until(/pids:(\d+):(\d+):/)).map(Number);
    expect(isAlive(shell!) && isAlive(sleeper!)).toBe(true);
    c.pty.kill('SIGKILL'); // the CLI dies: its connection closes with it
    await waitFor(() => !isAlive(shell!) && !isAlive(sleeper!), 30_000, 'the console and its background job to end');
  });

  it('gives the local terminal back as it was, after an exit and after a SIGTERM', async () => {
    const sh = spawnPty('/bin/sh', [], {
      cols: 100, rows: 30, name: 'xterm', cwd: mc.dataDir,
      env: { ...process.env, MINICLOUD_URL: mc.apiUrl, MINICLOUD_TOKEN: mc.token, XDG_CONFIG_HOME: mc.dataDir, PS1: '$ ' } as Record<string, string>,
    });
    let out = '';
    sh.onData((d) => { out += d; });
    const until = (re: RegExp) => waitFor(() => re.test(out), 60_000, `${re} in:\n${out}`);
    const cli = `${process.execPath} ${join(ROOT, 'scripts/minicloud.mjs')} run ${APP} bash; echo "code:$?"; stty -a | grep -o -- '-\\?icanon' | sed 's/^/mode:/'`;
    try {
      sh.write(`${cli}\r`);
      sh.write('echo "in-$((40+2))"; exit 4\r'); // typed ahead: read by the console's bash
      await until(/code:4\s+mode:(-?icanon)/);
      expect(/code:4\s+mode:(-?icanon)/.exec(out)![1]).toBe('icanon');
      expect(out).toContain('in-42');

      out = '';
      sh.write(`${cli}\r`);
      sh.write('echo "up-$((1+1))"\r');
      await until(/up-2/);
      const local = execFileSync('stty', ['-a', '-F', (sh as unknown as { ptsName: string }).ptsName], { encoding: 'utf8' });
      expect(local).toMatch(/(^|\s)-icanon(\s|$)/); // raw while the console runs
      const child = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).find((d) => {
        try { return readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(sh.pid); } catch { return false; }
      });
      process.kill(Number(child), 'SIGTERM');
      await until(/code:143\s+mode:(-?icanon)/);
      expect(/code:143\s+mode:(-?icanon)/.exec(out)![1]).toBe('icanon');
    } finally {
      sh.kill('SIGKILL');
    }
    const audit = (await mc.api<Array<{ action: string; detail: Record<string, unknown>; status: number }>>('GET', `/api/audit?app=${APP}&n=100`)).body;
    expect(audit.find((e) => e.action === 'run')).toMatchObject({ detail: { program: 'bash', console: true }, status: 101 });
  });

  it('is refused without the right to manage the app, with the reason', async () => {
    const password = 'a long enough password 1';
    expect((await mc.api('POST', '/api/users', { email: 'carol@example.com', role: 'member', apps: ['other'], password })).status).toBe(201);
    const made = await fetch(`${mc.apiUrl}/api/tokens`, {
      method: 'POST', body: '{"name":"carol-laptop"}',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`carol@example.com:${password}`).toString('base64')}` },
    });
    expect(made.status).toBe(201);
    const otherApp = ((await made.json()) as { token: string }).token;
    const c = cliInPty(mc, ['run', APP, 'bash'], otherApp);
    expect(await c.exited).toBe(1);
    expect(c.output()).toMatch(/carol@example\.com \(token carol-laptop\) \(member on other\) may not: run a one-off command in a console \(a websocket to a pseudo-terminal\) \(app konsole\)/i);

    const deploy = await mc.api<{ token: string }>('POST', '/api/tokens', { name: 'ci', role: 'deploy', apps: [APP] });
    expect(deploy.status).toBe(201);
    expect(await upgrade({})).toBe(401);
    expect(await upgrade({ authorization: 'Bearer not-a-token' })).toBe(401);
    expect(await upgrade({ authorization: `Bearer ${otherApp}` })).toBe(403);
    expect(await upgrade({ authorization: `Bearer ${deploy.body.token}` })).toBe(403); // deploying is not running commands
    const plain = await fetch(`${mc.apiUrl}/api/apps/${APP}/console`, { headers: { authorization: `Bearer ${mc.token}` } });
    expect(plain.status).toBe(426); // not an upgrade
  });

  it('takes a dashboard session only from its own origin with its CSRF token', async () => {
    const password = 'a long enough password 2';
    expect((await mc.api('POST', '/api/users', { email: 'dave@example.com', role: 'member', apps: [APP], password })).status).toBe(201);
    const login = await fetch(`${mc.apiUrl}/dashboard/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'dave@example.com', password }) });
    expect(login.status).toBe(201);
    const cookie = String(login.headers.get('set-cookie')).split(';')[0]!;
    const { csrf } = (await login.json()) as { csrf: string };
    const ours = mc.apiUrl;
    expect(await upgrade({ cookie, origin: ours })).toBe(403); // no CSRF token
    expect(await upgrade({ cookie, origin: 'https://evil.example' }, `?csrf=${csrf}`)).toBe(403); // another site's page
    expect(await upgrade({ cookie }, `?csrf=${csrf}`)).toBe(403); // no Origin
    expect(await upgrade({ cookie, origin: ours }, `?csrf=${csrf}`)).toBe(101);
  });
});

/** The status an upgrade to the console gets: 101 when it opens (then closed at once). */
function upgrade(headers: Record<string, string>, query = ''): Promise<number> {
  return new Promise<number>((resolve) => {
    const ws = new WebSocket(`${mc.apiUrl.replace('http', 'ws')}/api/apps/${APP}/console${query}`, { headers });
    ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
    ws.on('open', () => { resolve(101); ws.close(); });
    ws.on('error', () => {});
  });
}

describe('the console protocol', () => {
  const open = () => new WebSocket(`${mc.apiUrl.replace('http', 'ws')}/api/apps/${APP}/console`, { headers: { authorization: `Bearer ${mc.token}` } });

  it(`closes a console idle for ${IDLE_S} s and ends its command`, async () => {
    const ws = open();
    let out = '';
    const messages: Array<Record<string, unknown>> = [];
    ws.on('message', (d, binary) => { if (binary) out += String(d); else messages.push(JSON.parse(String(d)) as Record<string, unknown>); });
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'start', command: 'echo "pid:$$:"; exec sleep 600', cols: 80, rows: 24 }));
    await waitFor(() => /pid:\d+:/.test(out), 60_000, 'the pid');
    const pid = Number(/pid:(\d+):/.exec(out)![1]);
    const started = Date.now();
    await new Promise((r) => ws.once('close', r));
    expect(Date.now() - started).toBeGreaterThanOrEqual((IDLE_S - 1) * 1000);
    expect(out).toContain(`console closed after ${IDLE_S} s without input or output`);
    expect(messages.at(-1)).toMatchObject({ type: 'exit', reason: 'idle' });
    await waitFor(() => !isAlive(pid), 30_000, 'the idle console\'s command to end');
  });

  it('takes nothing from the client but the command, the size and a plain TERM; no secret on a command line', async () => {
    const ws = open();
    let out = '';
    ws.on('message', (d, binary) => { if (binary) out += String(d); });
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'start', command: 'sh', cols: 80, rows: 24, term: 'xterm\nLD_PRELOAD=/tmp/x.so', env: { GREETING: 'forged' }, user: 'root' }));
    ws.send(Buffer.from('echo "term=$TERM greeting=$GREETING ld=${LD_PRELOAD:-none} uid=$(id -u)"\r'));
    await waitFor(() => /term=\S+ greeting=\S+ ld=\S+ uid=\d+/.test(out), 60_000, `the echo in:\n${out}`);
    const [, term, greeting, ld, uid] = /term=(\S+) greeting=(\S+) ld=(\S+) uid=(\d+)/.exec(out)!;
    expect({ term, greeting, ld }).toEqual({ term: 'xterm-256color', greeting: 'hello-console', ld: 'none' });
    expect(Number(uid)).not.toBe(0);
    // Config vars reach it through its environment only: no process's command line shows one.
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain('hello-console');
    ws.send(Buffer.from('exit 0\r'));
    await new Promise((r) => ws.once('close', r));
  });

  it('closes a connection that sends more than 64 KiB in one message, and refuses an absurd size', async () => {
    const big = open();
    await new Promise((r) => big.once('open', r));
    big.send(JSON.stringify({ type: 'start', command: 'cat', cols: 80, rows: 24 }));
    big.send(Buffer.alloc(65 * 1024, 0x61));
    expect(await new Promise<number>((r) => big.once('close', r))).toBe(1009);
    const huge = open();
    const messages: Array<Record<string, unknown>> = [];
    huge.on('message', (d, binary) => { if (!binary) messages.push(JSON.parse(String(d)) as Record<string, unknown>); });
    await new Promise((r) => huge.once('open', r));
    huge.send(JSON.stringify({ type: 'start', command: 'cat', cols: 80, rows: 24 }));
    huge.send(JSON.stringify({ type: 'resize', cols: 100_000, rows: 100_000 }));
    expect(await new Promise<number>((r) => huge.once('close', r))).toBe(1008);
    expect(messages.at(-1)).toMatchObject({ type: 'error', error: expect.stringMatching(/^console protocol: /) });
  });

  it('refuses keystrokes before the start message and a bad start', async () => {
    for (const first of [Buffer.from('id\r'), JSON.stringify({ type: 'start', command: 'id', cols: 0, rows: 24 }), '{not json']) {
      const ws = open();
      const messages: Array<Record<string, unknown>> = [];
      ws.on('message', (d, binary) => { if (!binary) messages.push(JSON.parse(String(d)) as Record<string, unknown>); });
      await new Promise((r) => ws.once('open', r));
      ws.send(first);
      const code = await new Promise<number>((r) => ws.once('close', r));
      expect(code).toBe(1008);
      expect(messages[0]).toMatchObject({ type: 'error', error: expect.stringMatching(/^console protocol: /) });
    }
  });
});
