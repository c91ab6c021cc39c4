// Benchmark: how long a sleeping app's first request takes (wake-up), beside a warm request, per runtime.
import { dockerHost } from '../helpers/docker.ts';
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';
import { printTable, stats, type Stats } from './stats.ts';

const RUNS = 7;

async function wakeRows(runtime: 'process' | 'docker'): Promise<Array<[string, Stats]>> {
  const redis = await startRedis();
  const env: Record<string, string> = runtime === 'docker'
    ? { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-bench' }
    : { MINICLOUD_RUNTIME: 'process' };
  const mc = await startMinicloud(redis.url, env);
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
    const warm: number[] = [];
    const wake: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      warm.push(await timed());
      const slept = await mc.api('PUT', '/api/apps/bench/sleep', { now: true });
      if (slept.status !== 200) throw new Error(`sleep failed: ${JSON.stringify(slept.body)}`);
      wake.push(await timed());
    }
    await mc.api('DELETE', '/api/apps/bench?confirm=bench');
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
