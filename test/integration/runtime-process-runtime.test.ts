// runtime: real detached host processes (node http servers) started, watched, adopted and stopped.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { waitHealthy } from '../../src/health/index.ts';
import { ProcessRuntime, type InstanceSpec } from '../../src/runtime/index.ts';
import { isAlive, waitFor } from '../helpers/proc.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'mc-'));
const logDir = join(tmp, 'logs');
const runtimes: ProcessRuntime[] = [];
const started: Array<{ rt: ProcessRuntime; handle: string }> = [];

afterEach(async () => {
  for (const s of started.splice(0)) await s.rt.stop(s.handle, 500);
  await Promise.all(runtimes.splice(0).map((r) => r.close()));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A web process that also forks a child (same process group), and reports what it sees. No single quotes inside.
const SERVER = [
  'const http = require("http");',
  'const kid = require("child_process").spawn("sleep", ["1000"], { stdio: "ignore" });',
  'http.createServer((q, s) => s.end("hi " + process.env.GREETING)).listen(Number(process.env.PORT), "127.0.0.1", () => {',
  '  console.log("listening on " + process.env.PORT + " kid " + kid.pid + " dyno " + process.env.DYNO);',
  '  console.log("token " + (process.env.MINICLOUD_TOKEN || "none"));',
  '  console.error("to stderr");',
  '});',
].join(' ');

function runtime(): ProcessRuntime {
  const rt = new ProcessRuntime(logDir);
  runtimes.push(rt);
  return rt;
}

function spec(app: string, command: string, env: Record<string, string> = {}): InstanceSpec {
  return {
    id: randomUUID(), app, release: 1, type: 'web', command, env,
    artifact: { kind: 'dir', dir: tmp, buildpack: 'node', processes: { web: command } },
  };
}

async function start(rt: ProcessRuntime, s: InstanceSpec) {
  const running = await rt.start(s);
  started.push({ rt, handle: running.handle });
  return running;
}

/** The log's lines as the app printed them: each is stored as `<time> <instance>: text` (log-tagger.ts). */
const TAGGED = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [a-z]+\.[0-9a-f]{8}: /;
async function readLogs(rt: ProcessRuntime, app: string, lines = 100): Promise<string[]> {
  const out: string[] = [];
  for await (const l of rt.logs(app, { lines, follow: false })) out.push(l.replace(TAGGED, ''));
  return out;
}

const exits = (rt: ProcessRuntime) => {
  const seen: Array<{ handle: string; code: number | null }> = [];
  rt.onExit((handle, code) => seen.push({ handle, code }));
  return seen;
};

describe('ProcessRuntime', () => {
  it('starts a web process on $PORT with its env, logs its output, and stop kills its whole process group', async () => {
    const rt = runtime();
    const exited = exits(rt);
    const saved = process.env.MINICLOUD_TOKEN;
    process.env.MINICLOUD_TOKEN = 'must-not-leak';
    let running: Awaited<ReturnType<typeof start>>;
    try {
      running = await start(rt, spec('web1', `node -e '${SERVER}'`, { GREETING: 'there' }));
    } finally {
      if (saved === undefined) delete process.env.MINICLOUD_TOKEN;
      else process.env.MINICLOUD_TOKEN = saved;
    }
    expect(running.host).toBe('127.0.0.1');
    expect(running.pid).toBeGreaterThan(0);
    expect(JSON.parse(running.handle)).toMatchObject({ pid: running.pid });

    expect(await waitHealthy({ host: running.host, port: running.port, timeoutMs: 15_000 })).toMatchObject({ ok: true });
    expect(await (await fetch(`http://127.0.0.1:${running.port}/`)).text()).toBe('hi there');

    await waitFor(() => readFileSync(rt.logFile('web1'), 'utf8').includes('to stderr'), 5000, 'the output in the log file');
    const lines = await readLogs(rt, 'web1');
    const raw = readFileSync(rt.logFile('web1'), 'utf8').trimEnd().split('\n');
    expect(raw.every((l) => TAGGED.test(l)), raw.join('\n')).toBe(true); // each line stamped with its time and instance
    const listening = lines.find((l) => l.startsWith('listening on '));
    expect(listening).toMatch(new RegExp(`^listening on ${running.port} kid \\d+ dyno web\\.[0-9a-f]{8}$`));
    expect(lines).toContain('token none');
    expect(lines).toContain('to stderr');
    expect(await readLogs(rt, 'web1', 1)).toEqual([lines.at(-1)]);

    const kid = Number(/kid (\d+)/.exec(listening!)![1]);
    expect(isAlive(running.pid!)).toBe(true);
    expect(isAlive(kid)).toBe(true);
    await rt.stop(running.handle, 2000);
    expect(isAlive(running.pid!)).toBe(false);
    await waitFor(() => !isAlive(kid), 5000, 'the forked child to be gone too');
    await waitFor(() => exited.length === 1, 5000, 'onExit after stop');
    expect(exited[0]!.handle).toBe(running.handle);
    // stopping again is safe
    await rt.stop(running.handle, 100);
  });

  it('stop escalates to SIGKILL when the process ignores SIGTERM', async () => {
    const rt = runtime();
    const running = await start(rt, spec('stubborn', `node -e 'process.on("SIGTERM", () => console.log("ignoring TERM")); console.log("up"); setInterval(() => {}, 1000)'`));
    await waitFor(() => readFileSync(rt.logFile('stubborn'), 'utf8').includes('up'), 10_000, 'the process to start');
    await rt.stop(running.handle, 300);
    expect(isAlive(running.pid!)).toBe(false);
    expect(await readLogs(rt, 'stubborn')).toContain('ignoring TERM');
  });

  it('onExit fires with the handle when an instance dies on its own', async () => {
    const rt = runtime();
    const exited = exits(rt);
    const running = await start(rt, spec('crashy', `node -e 'setInterval(() => {}, 1000)'`));
    await waitFor(() => isAlive(running.pid!), 5000, 'the process');
    process.kill(running.pid!, 'SIGKILL');
    await waitFor(() => exited.length === 1, 10_000, 'onExit');
    expect(exited[0]).toEqual({ handle: running.handle, code: null });

    const quits = await start(rt, spec('crashy', 'sh -c "exit 3"'));
    await waitFor(() => exited.length === 2, 10_000, 'onExit for exit 3');
    expect(exited[1]).toEqual({ handle: quits.handle, code: 3 });
  });

  it('every instance of an app appends to the one app log file', async () => {
    const rt = runtime();
    const exited = exits(rt);
    await start(rt, spec('shared', 'echo first instance'));
    await waitFor(() => exited.length === 1, 10_000, 'the first to exit');
    await start(rt, spec('shared', 'echo second instance'));
    await waitFor(() => exited.length === 2, 10_000, 'the second to exit');
    // The log filter writes a line after its instance may have exited (it reads the pipe the instance wrote to).
    await waitFor(() => readFileSync(rt.logFile('shared'), 'utf8').includes('second instance'), 5000, 'the second line in the log');
    expect(await readLogs(rt, 'shared')).toEqual(['first instance', 'second instance']);
  });

  it('cuts a line with no end (hostile output) into tagged pieces of at most 16,000 bytes: the filter never holds more', async () => {
    const rt = runtime();
    const exited = exits(rt);
    await start(rt, spec('endless', `node -e 'process.stdout.write("x".repeat(40000)); setTimeout(() => {}, 300)'`));
    await waitFor(() => exited.length === 1, 10_000, 'the instance to exit');
    await waitFor(() => readFileSync(rt.logFile('endless'), 'utf8').split('x').length > 40000, 5000, 'the whole output in the log');
    const pieces = await readLogs(rt, 'endless');
    expect(pieces.map((l) => l.length)).toEqual([16_000, 16_000, 8000]);
  });

  it('logs with follow yields lines written later, until aborted', async () => {
    const rt = runtime();
    const file = rt.logFile('tail');
    await start(rt, spec('tail', 'echo backlog'));
    await waitFor(() => { try { return readFileSync(file, 'utf8').includes('backlog'); } catch { return false; } }, 5000, 'backlog');
    const ac = new AbortController();
    const got: string[] = [];
    const done = (async () => { for await (const l of rt.logs('tail', { lines: 10, follow: true, signal: ac.signal })) got.push(l.replace(TAGGED, '')); })();
    await waitFor(() => got.length === 1, 5000, 'the backlog line');
    writeFileSync(file, 'later one\nlater two\npartial', { flag: 'a' });
    await waitFor(() => got.length === 3, 5000, 'the later lines');
    ac.abort();
    await done;
    expect(got).toEqual(['backlog', 'later one', 'later two']);
  });

  it('adopt on a fresh runtime: true for a live handle (and it then watches it), false for a dead or reused one', async () => {
    const first = runtime();
    const live = await start(first, spec('adopt', `node -e 'setInterval(() => {}, 1000)'`));
    const dead = await start(first, spec('adopt', `node -e 'setInterval(() => {}, 1000)'`));
    await first.stop(dead.handle, 1000);

    const second = runtime(); // as after a restart of minicloud
    const exited = exits(second);
    expect(await second.adopt(live.handle)).toBe(true);
    expect(await second.adopt(dead.handle)).toBe(false);
    // a live pid with another start time is some other process that reused the pid
    expect(await second.adopt(JSON.stringify({ pid: live.pid, start: '1' }))).toBe(false);
    expect(await second.adopt(JSON.stringify({ pid: process.pid, start: 'x' }))).toBe(false);

    process.kill(-live.pid!, 'SIGKILL');
    await waitFor(() => exited.length === 1, 10_000, 'the adopting runtime to notice the exit');
    expect(exited[0]).toEqual({ handle: live.handle, code: null });
  });

  it('stop on an adopted instance kills it', async () => {
    const first = runtime();
    const live = await start(first, spec('adopt2', `node -e 'setInterval(() => {}, 1000)'`));
    const second = runtime();
    expect(await second.adopt(live.handle)).toBe(true);
    await second.stop(live.handle, 1000);
    expect(isAlive(live.pid!)).toBe(false);
    expect(await runtime().adopt(live.handle)).toBe(false);
  });

  // The Runtime contract lets callers (Formation.restart, restore) handle a failed start. Node emits 'error'
  // on a ChildProcess that could not spawn (here: its cwd is gone); with no listener that is an uncaught
  // exception that takes the whole server down. Run in a child process so the crash is observable.
  it('rejects, without crashing the process, when the release directory is gone', async () => {
    const script = join(tmp, 'start-missing-dir.mts');
    writeFileSync(script, `
      import { ProcessRuntime } from ${JSON.stringify(join(ROOT, 'src/runtime/index.ts'))};
      const rt = new ProcessRuntime(${JSON.stringify(join(tmp, 'logs-missing'))});
      try {
        await rt.start({ id: 'x', app: 'gone', release: 1, type: 'web', command: 'true', env: {},
          artifact: { kind: 'dir', dir: ${JSON.stringify(join(tmp, 'no-such-release-dir'))}, buildpack: 'node', processes: {} } });
        console.log('started');
      } catch (e) {
        console.log('rejected: ' + (e as Error).message);
      }
      setTimeout(() => { console.log('still running'); }, 300);
    `);
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
    });
    expect(result.stdout).toContain('rejected: ');
    expect(result.stderr, 'start() left an unhandled ChildProcess error event behind').not.toMatch(/Unhandled 'error' event/);
    expect(result.stdout).toContain('still running');
    expect(result.code).toBe(0);
  });
});
