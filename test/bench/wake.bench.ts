// Benchmark: how long a sleeping app's first request takes (wake-up), beside a warm request, per runtime.
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';
import { readdirSync, readFileSync } from 'node:fs';
import type { Instance } from '../../src/core/index.ts';
import { docker, dockerHost } from '../helpers/docker.ts';
import { printTable, stats, type Stats } from './stats.ts';

const RUNS = 7;

/** kB of one /proc/<pid>/status or smaps_rollup field, 0 when the process is gone. */
const field = (file: string, re: RegExp) => { try { return Number(re.exec(readFileSync(file, 'utf8'))?.[1] ?? 0); } catch { return 0; } };

/** What one host instance holds: its processes (those of its leader's process group), their RSS and private memory. */
function hostFootprint(leader: number): { processes: number; rssMb: number; privateMb: number } {
  const pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === leader;
    } catch {
      return false;
    }
  });
  const sum = (f: (pid: string) => number) => pids.reduce((t, p) => t + f(p), 0) / 1024;
  return {
    processes: pids.length,
    rssMb: sum((p) => field(`/proc/${p}/status`, /^VmRSS:\s+(\d+)/m)),
    privateMb: sum((p) => field(`/proc/${p}/smaps_rollup`, /^Private_Clean:\s+(\d+)/m) + field(`/proc/${p}/smaps_rollup`, /^Private_Dirty:\s+(\d+)/m)),
  };
}

async function wakeRows(runtime: 'process' | 'docker'): Promise<Array<[string, Stats]>> {
  const redis = await startRedis();
  const env: Record<string, string> = runtime === 'docker'
    ? { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-bench' }
    : { MINICLOUD_RUNTIME: 'process' };
  // Debug: minicloud logs where each wake's time went (its trace lines are printed below the figures).
  const mc = await startMinicloud(redis.url, { ...env, MINICLOUD_LOG_LEVEL: 'debug' });
  try {
    const repo = fixtureRepo('node-hello');
    await mc.api('POST', '/api/apps', { name: 'bench' });
    const r = await push(repo, mc.gitUrl('bench'));
    if (r.code !== 0) throw new Error(`deploy failed:\n${r.output}`);
    const timed = async () => {
      const t = performance.now();
      const res = await get(mc.httpPort, 'bench.localhost');
      if (res.status !== 200) throw new Error(`got ${res.status}`);
      return performance.now() - t;
    };
    // Once it has served a request and settled: what the idle app costs.
    await timed();
    await new Promise((r) => setTimeout(r, 2000));
    const [web] = (await mc.api<Instance[]>('GET', '/api/apps/bench/ps')).body;
    if (runtime === 'process' && web?.pid) {
      const f = hostFootprint(web.pid);
      console.log(`  process runtime, idle node-hello instance: ${f.processes} process(es), RSS ${f.rssMb.toFixed(1)} MB, private ${f.privateMb.toFixed(1)} MB`);
    } else if (runtime === 'docker') {
      const id = docker('ps', '-q', '--filter', 'label=minicloud.app=bench', '--filter', 'label=minicloud.type=web').trim().split('\n')[0] ?? '';
      console.log(`  docker runtime, idle node-hello container: ${docker('stats', '--no-stream', '--format', '{{.MemUsage}}', id).trim()} (its cgroup), ${docker('top', id).trim().split('\n').length - 1} process(es)`);
    }
    const warm: number[] = [];
    const wake: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      warm.push(await timed());
      const slept = await mc.api('PUT', '/api/apps/bench/sleep', { now: true });
      if (slept.status !== 200) throw new Error(`sleep failed: ${JSON.stringify(slept.body)}`);
      wake.push(await timed());
    }
    await mc.api('DELETE', '/api/apps/bench?confirm=bench');
    for (const line of mc.output().split('\n').filter((l) => l.includes('wake bench:'))) console.log(`  ${runtime}: ${line.trim()}`);
    return [[`${runtime} runtime: warm request`, stats(warm)], [`${runtime} runtime: first request after sleep`, stats(wake)]];
  } finally {
    await mc.stop();
    await redis.stop();
  }
}

export async function wakeBench(): Promise<void> {
  const rows = [...(await wakeRows('process')), ...(await wakeRows('docker'))];
  printTable(`Wake-up latency through the router (node-hello, ${RUNS} runs)`, rows);
}
