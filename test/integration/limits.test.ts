// Limits without Docker, as a user meets them on host processes: an app past its memory limit is killed and `ps`
// says out of memory, a fork bomb meets its process limit while another app answers, an instance whose leader dies
// leaves nothing behind, nor does apps:destroy, a hung (SIGSTOPped) web process is replaced, a slow one is not.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance, ServerStatus } from '../../src/core/index.ts';
import { deployedFixture } from '../helpers/deployed.ts';
import { commitAll, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { isAlive } from '../helpers/proc.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let mc: Minicloud;
let status: ServerStatus;
const APP = 'lim';
const OTHER = 'lim-other';

/** One request through the router, given up after `timeoutMs` (a hung app holds it open). */
function ask(app: string, path: string, timeoutMs = 1500): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: mc.httpPort, path, headers: { host: `${app}.localhost` }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in time')));
    req.on('error', reject);
    req.end();
  });
}
const json = async <T>(app: string, path: string, timeoutMs?: number): Promise<T> => {
  const r = await ask(app, path, timeoutMs);
  if (r.status !== 200) throw new Error(`${path} answered ${r.status}: ${r.body}`);
  return JSON.parse(r.body) as T;
};
const ps = async (app: string): Promise<Instance[]> => JSON.parse((await mc.cli('ps', app, '--json')).stdout) as Instance[];
const web = async (app: string) => (await ps(app)).find((i) => i.type === 'web')!;
/** The serving web process of APP, once it answers: its server's pid (the instance's leader: no npm between). */
const serving = () => until(`${APP} to answer`, async () => json<{ pid: number }>(APP, '/').catch(() => undefined));
/**
 * The server of the newest web instance, once the router sends requests to it: after resources:set, the old
 * instance still answers while it drains. Its cgroup is named after its instance.
 */
const servingCurrent = async () => {
  const inst = (await ps(APP)).filter((i) => i.type === 'web' && i.state === 'up').sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0]!;
  return until(`${APP}'s new instance to answer`, async () => {
    const r = await json<{ pid: number }>(APP, '/').catch(() => undefined);
    return r && cgroupOf(r.pid).includes(`.${inst.id}.`) ? r : undefined;
  });
};
/** The memory cgroup a process is in (its line of /proc/<pid>/cgroup). */
const cgroupOf = (pid: number) => /^\d+:memory:(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1] ?? '';
const cgroupDir = (path: string) => `/sys/fs/cgroup/memory${path}`;
const pgid = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]);
const gone = (what: string, pids: number[]) => until(what, async () => (pids.every((p) => !isAlive(p)) ? true : undefined), 30_000);
const cgroups = () => status.limits?.mechanism.startsWith('cgroup') === true;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_BUILD_MEMORY: '256' });
  await deployedFixture(mc, APP, 'node-limits');
  await deployedFixture(mc, OTHER, 'node-hello');
  status = JSON.parse((await mc.cli('status', '--json')).stdout) as ServerStatus;
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

describe('minicloud status', () => {
  it('says which mechanism holds the limits of host processes', async () => {
    const out = (await mc.cli('status')).stdout;
    expect(out).toMatch(/^Limits: +(cgroup v[12] \(.*\): each instance, build and one-off in its own cgroup|process groups \()/m);
    // This machine runs the tests as root with cgroup v1 mounted: the cgroups must be in force, not the fallback.
    if (process.getuid?.() === 0) expect(status.limits?.mechanism, out).toMatch(/^cgroup v[12]$/);
    if (cgroups()) expect((await mc.cli('resources', APP)).stdout).not.toMatch(/not enforced/);
  });
});

describe('an instance whose leader dies', () => {
  it('leaves no process behind: the leader (the server itself: no npm) killed, the daemon it started in a session of its own ends too', async () => {
    const leader = (await web(APP)).pid!;
    const server = (await serving()).pid;
    expect(server).toBe(leader); // the start script's node itself, no npm above it
    const daemon = (await json<{ pid: number }>(APP, '/daemon')).pid;
    expect(pgid(daemon)).not.toBe(pgid(server)); // out of the process group: only its cgroup holds it
    const cg = cgroups() ? cgroupOf(server) : null;
    if (cg) expect([cgroupOf(leader), cgroupOf(daemon)]).toEqual([cg, cg]);
    process.kill(leader, 'SIGKILL');
    await gone('the server and daemon of the killed leader to end', [server, daemon]);
    if (cg) await until(`${cg} to be removed`, async () => (readCgroupProcs(cg) === null ? true : undefined), 30_000);
    expect((await serving()).pid).not.toBe(server); // restarted, as after any crash
  });
});

describe('a hung web process', () => {
  it('is replaced and serving within 15 s with the default health checks, and the hung process is killed, not left behind', async () => {
    const { pid } = await serving();
    const stoppedAt = Date.now();
    process.kill(pid, 'SIGSTOP');
    const next = await until('a new web process to answer', async () => {
      const r = await json<{ pid: number }>(APP, '/', 1000).catch(() => undefined);
      return r && r.pid !== pid ? r : undefined;
    });
    const tookMs = Date.now() - stoppedAt;
    console.log(`a SIGSTOPped web process: serving again after ${tookMs} ms`);
    expect(next.pid).not.toBe(pid);
    expect(tookMs, `serving again ${tookMs} ms after the SIGSTOP`).toBeLessThan(15_000);
    await gone('the hung process to be killed', [pid]);
    expect((await mc.cli('ps', APP)).stdout).toMatch(/last: unhealthy/);
  });

  it('an app answering slowly under load (its probes wait behind CPU-bound requests) is not restarted', async () => {
    const before = await web(APP);
    const { pid } = await serving();
    let slowest = 0;
    let stop = false;
    // 12 clients in a loop, each request 300 ms of CPU: a probe waits several seconds, past its 2 s timeout.
    const client = async () => {
      while (!stop) {
        const t = Date.now();
        await json(APP, '/work?ms=300', 60_000).catch(() => {});
        slowest = Math.max(slowest, Date.now() - t);
      }
    };
    const clients = Array.from({ length: 12 }, client);
    await new Promise((r) => setTimeout(r, 20_000)); // the load itself: far longer than 3 probes 2 s apart
    stop = true;
    await Promise.all(clients);
    expect(slowest, 'requests under load waited longer than a probe may').toBeGreaterThan(2000);
    const after = await web(APP);
    expect([after.id, after.restarts, after.pid], mc.output().split("\n").filter((l) => l.includes(APP)).join("\n")).toEqual([before.id, before.restarts, before.pid]);
    expect((await serving()).pid).toBe(pid);
  });
});

describe('limits', () => {
  it('an app allocating past its memory limit is killed, and ps and the app log say out of memory', async (ctx) => {
    if (!cgroups()) return ctx.skip();
    expect((await mc.cli('resources:set', APP, 'memory=128M')).code).toBe(0);
    const { pid } = await servingCurrent();
    await ask(APP, '/hog');
    await gone('the hog to be killed', [pid]);
    await until('ps to say out of memory', async () => ((await mc.cli('ps', APP)).stdout.match(/out of memory/) ? true : undefined));
    expect((await mc.cli('logs', APP, '-n', '200')).stdout).toMatch(/instance killed: out of memory \(its limit is 128 MiB/);
    // A one-off gets the app's limit too, and says why it ended.
    const run = await mc.cli('run', APP, 'node', '-e', 'const k = []; for (;;) k.push(Buffer.alloc(16 << 20, 1))');
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toMatch(/out of memory \(the limit is 128 MiB/);
  });

  it('a fork bomb meets its process limit while another app keeps answering', async (ctx) => {
    if (!cgroups()) return ctx.skip();
    expect((await mc.cli('resources:set', APP, 'pids=64')).code).toBe(0);
    const { pid } = await servingCurrent();
    const bomb = json<{ started: number; error: string | null }>(APP, '/forkbomb', 120_000);
    const meanwhile = await get(mc.httpPort, `${OTHER}.localhost`);
    expect(meanwhile.status).toBe(200);
    const result = await bomb;
    expect(result.error).toBe('EAGAIN');
    expect(result.started).toBeLessThan(64);
    const cg = /^\d+:pids:(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))![1]!;
    expect(Number(readFileSync(`/sys/fs/cgroup/pids${cg}/pids.max`, 'utf8'))).toBe(64);
    expect((await get(mc.httpPort, `${OTHER}.localhost`)).status).toBe(200);
    // Back to the default: the instance is replaced, and its 64 sleepers end with it (later cases start new processes).
    expect((await mc.cli('resources:set', APP, 'pids=512')).code).toBe(0);
  });
});

describe('a build on host processes', () => {
  it('past its memory cap (MINICLOUD_BUILD_MEMORY) is killed and says so, and v1 keeps serving', async (ctx) => {
    if (!cgroups()) return ctx.skip();
    const { repo } = await deployedFixture(mc, 'lim-hog', 'node-hog');
    writeFileSync(join(repo, 'HOG'), 'eat memory\n');
    commitAll(repo, 'a hungry build');
    const r = await push(repo, mc.gitUrl('lim-hog'));
    expect(r.code).not.toBe(0);
    expect(r.output).toContain("ran out of memory (a build's cap is 256 MiB) and was killed");
    expect(r.output).toContain('v1 is still serving');
    expect((await get(mc.httpPort, 'lim-hog.localhost')).body).toBe('hog v1');
  });
});

describe('a crash-looping app with no older release to serve', () => {
  it('is answered after a short hold with a page saying it keeps crashing, not after the 10 s wait for a starting app', async () => {
    const app = 'lim-crash';
    await deployedFixture(mc, app, 'node-limits');
    // This release answers its health check, goes live, then each of its instances exits 3 s after it starts.
    expect((await mc.cli('config:set', app, 'CRASH_AFTER_MS=3000')).code).toBe(0);
    const reply = await until('the crash-looping page', async () => {
      const t = Date.now();
      const r = await ask(app, '/', 30_000).catch(() => undefined);
      return r?.status === 503 && r.body.includes('App is crashing') ? { ...r, ms: Date.now() - t } : undefined;
    });
    expect(reply.body).toContain(`minicloud logs ${app}`);
    expect(reply.ms, 'held about 1.5 s').toBeLessThan(5000);
    // Between two crashes the instance is up for its 3 s (ps then says up): wait for a crashed moment.
    await until('ps to say crash-looping', async () => ((await mc.cli('ps', app)).stdout.match(/crash-looping/) ? true : undefined));
  });
});

describe('apps:destroy', () => {
  it('leaves no process of the app behind, the daemon it started included', async () => {
    const leader = (await web(APP)).pid!;
    const { pid } = await serving();
    const daemon = (await json<{ pid: number }>(APP, '/daemon')).pid;
    const cg = cgroups() ? cgroupOf(pid) : null;
    expect((await mc.cli('apps:destroy', APP, '--confirm', APP)).code).toBe(0);
    await gone(`every process of ${APP} to end`, [leader, pid, daemon]);
    if (cg) expect(readCgroupProcs(cg)).toBeNull();
  });
});

/** The pids in a memory cgroup, or null once it is removed. */
function readCgroupProcs(path: string): string | null {
  try {
    return readFileSync(`${cgroupDir(path)}/cgroup.procs`, 'utf8');
  } catch {
    return null;
  }
}
