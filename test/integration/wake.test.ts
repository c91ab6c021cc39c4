// Waking and starting a Node app on host processes: the app's own node is the instance's process (no npm beside it),
// and a burst of requests to a sleeping app is answered by one start.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/index.ts';
import { PortGuard } from '../../src/runtime/port-guard.ts';
import { deployedFixture, type Deployed } from '../helpers/deployed.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let mc: Minicloud;
let hello: Deployed;
const APP = 'wake-hello';

const ps = async (): Promise<Instance[]> => (await mc.api<Instance[]>('GET', `/api/apps/${APP}/ps`)).body;
const comm = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
/** The command names of every process in the process group `pgid` leads. */
function groupOf(pgid: number): string[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid ? [comm(Number(d))] : [];
    } catch {
      return []; // gone meanwhile
    }
  });
}
const starts = () => readFileSync(join(mc.dataDir, 'logs', APP, 'app.log'), 'utf8').split('\n').filter((l) => l.includes('listening on')).length;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'process' });
  hello = await deployedFixture(mc, APP, 'node-hello');
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

describe('a Node app on host processes', () => {
  it('runs its start script without npm: the instance is node itself, and no npm is in its process group', async () => {
    expect(hello.first.output).toContain("`npm start` runs the script's command directly, with no npm process beside it");
    const [web] = await ps();
    expect(web?.pid).toBeGreaterThan(0);
    expect(comm(web!.pid!)).toBe('node');
    expect(groupOf(web!.pid!)).toEqual(['node']);
    expect(JSON.parse((await get(mc.httpPort, `${APP}.localhost`)).body)).toMatchObject({ version: 'v1' });
  });

  it('asleep, answers a burst of first requests, all of them, from one start', async () => {
    const before = starts();
    const slept = await mc.api<{ state: string }>('PUT', `/api/apps/${APP}/sleep`, { now: true });
    expect(slept.body.state).toBe('sleeping');
    expect(await ps()).toEqual([]);
    const answers = await Promise.all(Array.from({ length: 8 }, () => get(mc.httpPort, `${APP}.localhost`)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect((await ps()).filter((i) => i.type === 'web')).toHaveLength(1);
    expect(starts()).toBe(before + 1);
  });

  it('while asleep holds a port fenced for its user, which the wake then uses (no firewall work on the way)', async (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip(); // per-app users and port rules need root
    const pid = (await ps()).find((i) => i.type === 'web')!.pid!;
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
    await mc.api('PUT', `/api/apps/${APP}/sleep`, { now: true });
    const rules = execFileSync('iptables', ['-w', '-S', 'OUTPUT'], { encoding: 'utf8' });
    // This minicloud's rules only: another test's minicloud, killed, can leave a rule naming a uid since reused.
    const tag = new PortGuard(mc.dataDir).instance;
    const warm = [...rules.matchAll(/--dport (\d+) .*! --uid-owner (\d+) .*minicloud-port-\d+-([0-9a-f]+)/g)]
      .filter((m) => m[2] === uid && m[3] === tag).map((m) => Number(m[1]));
    expect(warm).toHaveLength(1);
    expect((await get(mc.httpPort, `${APP}.localhost`)).status).toBe(200);
    expect((await ps()).find((i) => i.type === 'web')?.port).toBe(warm[0]);
  });
});
