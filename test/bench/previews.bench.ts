// Benchmark: production's latency while a preview of it builds (Docker runtime): a baseline, then the same requests
// while a branch push builds its preview cold; percentiles side by side and their ratio (the issue asks for ≤ 2×).
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerHost } from '../helpers/docker.ts';
import { commitAll, fixtureRepo, git, push } from '../helpers/git.ts';
import { startMinicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

const pct = (s: number[], p: number) => [...s].sort((a, b) => a - b)[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;

/** Sequential GETs of production until `until` resolves (or for `ms`): each request's time. */
async function sample(port: number, host: string, done: () => boolean): Promise<number[]> {
  const times: number[] = [];
  while (!done()) {
    const t = performance.now();
    const r = await get(port, host);
    if (r.status !== 200) throw new Error(`production answered ${r.status}`);
    times.push(performance.now() - t);
  }
  return times;
}

export async function previewsBench(): Promise<void> {
  const redis = await startRedis();
  const mc = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-bench' });
  try {
    await mc.api('POST', '/api/apps', { name: 'b-shop' });
    const repo = fixtureRepo('node');
    const first = await push(repo, mc.gitUrl('b-shop'));
    if (first.code !== 0) throw new Error(`production push failed:\n${first.output}`);
    await mc.api('PUT', '/api/apps/b-shop/previews', { branches: 'feature/*' });
    const baselineEnd = performance.now() + 10_000;
    const baseline = await sample(mc.httpPort, 'b-shop.localhost', () => performance.now() > baselineEnd);
    git(repo, 'checkout', '-q', '-b', 'feature/bench');
    appendFileSync(join(repo, 'CHANGES.txt'), 'a preview\n');
    commitAll(repo, 'preview');
    let built = false;
    const t = performance.now();
    const building = push(repo, mc.gitUrl('b-shop'), 'feature/bench').then((r) => { built = true; return r; });
    const during = await sample(mc.httpPort, 'b-shop.localhost', () => built);
    const r = await building;
    if (r.code !== 0) throw new Error(`preview push failed:\n${r.output}`);
    const seconds = ((performance.now() - t) / 1000).toFixed(1);
    console.log(`\nProduction latency while its preview builds (Docker, node fixture; preview push ${seconds} s)`);
    console.log(`  ${'case'.padEnd(22)} ${'requests'.padStart(9)} ${'p50'.padStart(9)} ${'p95'.padStart(9)} ${'p99'.padStart(9)}`);
    for (const [name, s] of [['baseline (10 s)', baseline], ['during preview build', during]] as const) {
      console.log(`  ${name.padEnd(22)} ${String(s.length).padStart(9)} ${pct(s, 50).toFixed(1).padStart(7)}ms ${pct(s, 95).toFixed(1).padStart(7)}ms ${pct(s, 99).toFixed(1).padStart(7)}ms`);
    }
    console.log(`  ratio p50 ${(pct(during, 50) / pct(baseline, 50)).toFixed(2)}×, p99 ${(pct(during, 99) / pct(baseline, 99)).toFixed(2)}×`);
  } finally {
    await mc.stop();
    await redis.stop();
  }
}
