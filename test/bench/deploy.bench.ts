// Benchmark: push-to-first-200 per language, a cold deploy and a code-only redeploy, on both runtimes; image sizes.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { docker, dockerHost } from '../helpers/docker.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';
import { printTable, stats, type Stats } from './stats.ts';

const RUNS = Number(process.env.BENCH_DEPLOY_RUNS ?? 3);
// BENCH_LANGS=go,node picks some.
const LANGS = process.env.BENCH_LANGS?.split(',') ?? ['node', 'python', 'ruby', 'go', 'static', 'dockerfile'];

/** Push start → the router's first 200 for the app (a push returns once the release is live). */
async function timedPush(mc: Minicloud, repo: string, app: string): Promise<number> {
  const t = performance.now();
  const r = await push(repo, mc.gitUrl(app));
  if (r.code !== 0) throw new Error(`${app}: push failed:\n${r.output}`);
  for (;;) {
    if ((await get(mc.httpPort, `${app}.localhost`)).status === 200) return performance.now() - t;
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** A cold Docker build: no image of an earlier bench app, so no layer of theirs is reused (base images stay). */
function forgetBenchImages(): void {
  const ids = docker('images', '--filter', 'label=minicloud.app', '--format', '{{.Repository}}:{{.Tag}}').split('\n').filter((r) => r.startsWith('minicloud/b-'));
  if (ids.length) docker('rmi', '-f', ...ids);
  docker('image', 'prune', '-f');
}

async function runtimeRows(runtime: 'process' | 'docker'): Promise<{ rows: Array<[string, Stats]>; sizes: Array<[string, string]> }> {
  const redis = await startRedis();
  const env: Record<string, string> = runtime === 'docker'
    ? { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-bench' }
    : { MINICLOUD_RUNTIME: 'process' };
  // Debug: minicloud logs where each deploy's time went (printed below, BENCH_TRACE=1).
  const mc = await startMinicloud(redis.url, { ...env, MINICLOUD_LOG_LEVEL: 'debug' });
  const rows: Array<[string, Stats]> = [];
  const sizes: Array<[string, string]> = [];
  try {
    for (const lang of LANGS) {
      if (lang === 'dockerfile' && runtime === 'process') continue; // a Dockerfile needs an engine
      const cold: number[] = [];
      const warm: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        if (runtime === 'docker') forgetBenchImages();
        const app = `b-${lang}-${i}`;
        await mc.api('POST', '/api/apps', { name: app });
        const repo = fixtureRepo(lang);
        cold.push(await timedPush(mc, repo, app));
        appendFileSync(join(repo, 'CHANGES.txt'), `code-only change ${i}\n`);
        commitAll(repo, 'code only');
        warm.push(await timedPush(mc, repo, app));
        if (runtime === 'docker' && i === 0) sizes.push([lang, docker('image', 'inspect', `minicloud/${app}:v2`, '--format', '{{.Size}}').trim()]);
        await mc.api('DELETE', `/api/apps/${app}?confirm=${app}`);
      }
      rows.push([`${runtime}: ${lang} cold deploy`, stats(cold)], [`${runtime}: ${lang} code-only redeploy`, stats(warm)]);
    }
    if (process.env.BENCH_TRACE) for (const l of mc.output().split('\n').filter((x) => x.includes('[deploys] deploy b-'))) console.log(`  ${runtime}: ${l.trim()}`);
  } finally {
    await mc.stop();
    await redis.stop();
  }
  return { rows, sizes };
}

export async function deployBench(): Promise<void> {
  const process_ = await runtimeRows('process');
  const docker_ = await runtimeRows('docker');
  printTable(`Deploy time, push to the router's first 200 (${RUNS} runs each; Docker cold = no earlier app layers, base images present)`, [
    ...process_.rows, ...docker_.rows,
  ]);
  console.log('\nImage size per fixture (Docker runtime)');
  for (const [lang, bytes] of docker_.sizes) console.log(`  ${lang.padEnd(12)} ${(Number(bytes) / 1e6).toFixed(1).padStart(8)} MB`);
}
