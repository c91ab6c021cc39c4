// Benchmark: how long a sleeping app's first request takes (wake-up), beside a warm request, per runtime.
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';
import { printTable, stats } from './stats.ts';

const RUNS = 7;

export async function wakeBench(): Promise<void> {
  const redis = await startRedis();
  const mc = await startMinicloud(redis.url);
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
    printTable(`Wake-up latency through the router (node-hello, ${RUNS} runs)`, [
      ['process runtime: warm request', stats(warm)],
      ['process runtime: first request after sleep', stats(wake)],
    ]);
  } finally {
    await mc.stop();
    await redis.stop();
  }
}
