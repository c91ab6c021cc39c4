// Restarts lose nothing and double nothing: kill -9 mid-build (host builds), and a config change whose release fails.
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deploy } from '../../src/core/index.ts';
import { commitAll, fixtureRepo, git, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { isAlive, waitFor } from '../helpers/proc.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let mc: Minicloud;
let repo: string;
const tmp = mkdtempSync(join(tmpdir(), 'mc-restarts-'));
chmodSync(tmp, 0o1777); // the build runs as the app's own user when minicloud is root
const marks = join(tmp, 'marks.jsonl');
const gate = join(tmp, 'gate');
const APP = 'rs';

interface Mark { event: 'start' | 'helper' | 'end'; pid: number; at: number; overlapping?: number[] }
const readMarks = (): Mark[] => (existsSync(marks) ? readFileSync(marks, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Mark) : []);
const serve = async () => JSON.parse((await get(mc.httpPort, `${APP}.localhost`)).body) as { version: string; foo: string | null };
const setVersion = (v: string) => {
  const file = join(repo, 'server.js');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/const VERSION = '[^']*'/, `const VERSION = '${v}'`));
};

/** Processes working in the deploy's build directory (on the host runtime the releases run from theirs). */
function buildProcesses(deployId: string): number[] {
  const builds = join(mc.dataDir, 'builds', APP, deployId);
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`).startsWith(builds) && isAlive(pid);
    } catch {
      return false;
    }
  });
}

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  repo = fixtureRepo('node-restarts');
  expect((await mc.cli('apps:create', APP)).code).toBe(0);
  const r = await push(repo, mc.gitUrl(APP));
  expect(r.code, r.output).toBe(0);
});

afterAll(async () => {
  writeFileSync(gate, ''); // never leave a build waiting
  await mc?.stop();
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('a config change whose release fails', () => {
  it('is refused and leaves the config as it was; the next change starts fine', async () => {
    expect((await mc.cli('config:set', APP, 'FOO=one')).code).toBe(0);
    const bad = await mc.cli('config:set', APP, 'CRASH=1');
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    expect(bad.stderr).toContain('the config vars were left as they were');
    const config = (await mc.api<Record<string, string>>('GET', `/api/apps/${APP}/config`)).body;
    expect(config).toEqual({ FOO: 'one' });
    expect((await mc.cli('config', APP)).stdout).not.toContain('CRASH');
    expect(await serve()).toMatchObject({ foo: 'one' });
    // Before the fix CRASH stayed stored, and every later deploy crashed with it.
    const next = await mc.cli('config:set', APP, 'FOO=two');
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(await serve()).toMatchObject({ foo: 'two' });
  });
});

describe('kill -9 of minicloud mid-build', () => {
  it('ends the build with minicloud, builds the deploy once more (never beside itself), and the next push says how it ended', async () => {
    expect((await mc.cli('config:set', APP, `BUILD_MARKS=${marks}`, `BUILD_GATE=${gate}`)).code).toBe(0);
    setVersion('v2');
    const sha = commitAll(repo, 'v2');
    const pushing = push(repo, mc.gitUrl(APP));
    await waitFor(() => readMarks().some((m) => m.event === 'helper'), 60_000, 'the build to start its helper process');
    const helper = readMarks().find((m) => m.event === 'helper')!.pid;
    const building = (await mc.api<Deploy[]>('GET', `/api/apps/${APP}/deploys`)).body.find((x) => x.commit === sha)!;
    expect(buildProcesses(building.id).length).toBeGreaterThan(0);

    await mc.crash();
    const lost = await pushing;
    expect(lost.code).not.toBe(0);
    // The build's processes go with minicloud itself, not at the next start.
    await waitFor(() => buildProcesses(building.id).length === 0 && !isAlive(helper), 10_000, 'the build processes to end with minicloud');

    await mc.start();
    await waitFor(() => readMarks().filter((m) => m.event === 'start').length === 2, 90_000, 'the deploy to be built again');
    // Taken up at once, its old lock proving its process dead, not once BullMQ's lock on the job ran out.
    expect(mc.output()).toContain(`deploy ${building.id} was cut short when its minicloud process died; it runs again now`);
    writeFileSync(gate, '');
    const deploy = await until('the deploy to succeed', async () => {
      const list = (await mc.api<Deploy[]>('GET', `/api/apps/${APP}/deploys`)).body;
      const d = list.find((x) => x.commit === sha && x.kind === 'build');
      return d?.status === 'succeeded' || d?.status === 'failed' ? d : undefined;
    }, 90_000);
    expect(deploy.status).toBe('succeeded');
    expect((await serve()).version).toBe('v2');
    const starts = readMarks().filter((m) => m.event === 'start');
    expect(starts).toHaveLength(2); // the killed run and the one after the restart, nothing more
    expect(starts.flatMap((m) => m.overlapping ?? [])).toEqual([]);

    const log = await mc.cli('logs', APP, '--build');
    expect(log.stdout).toContain('minicloud restarted during this deploy; starting it again');
    expect(log.stdout).toMatch(/-----> v\d+ is live/);
    // The pusher's next push (the remote branch never moved: its hook died with minicloud) starts with the outcome.
    expect(git(repo, 'ls-remote', mc.gitUrl(APP), 'refs/heads/main')).not.toContain(sha);
    const next = await push(repo, mc.gitUrl(APP));
    expect(next.code, next.output).toBe(0);
    expect(next.output).toContain(`Your previous push of ${sha.slice(0, 7)} was deployed after its connection to minicloud dropped: v`);
    git(repo, 'commit', '--allow-empty', '-qm', 'again');
    const again = await push(repo, mc.gitUrl(APP));
    expect(again.code, again.output).toBe(0);
    expect(again.output, again.output).not.toContain('Your previous push'); // told once
  });
});
