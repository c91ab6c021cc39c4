// Benchmark (issue 22): deploy time and request latency on a two-node swarm beside the Docker runtime, and the time
// from a node's death to its instances serving on the other node. The swarm is the tests' (test/helpers/swarm.ts).
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import type { Instance } from '../../src/core/index.ts';
import { dockerHost } from '../helpers/docker.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';
import { startSwarm, type Swarm } from '../helpers/swarm.ts';
import { printTable, stats, type Stats } from './stats.ts';

const RUNS = Number(process.env.BENCH_SWARM_RUNS ?? 3);
const REQUESTS = Number(process.env.BENCH_SWARM_REQUESTS ?? 1000);
const APP = 'b-swarm';
const HOST = `${APP}.localhost`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Push start → the router's first 200 with the pushed code (a push returns once the release is live). */
async function timedPush(mc: Minicloud, repo: string): Promise<number> {
  const t = performance.now();
  const r = await push(repo, mc.gitUrl(APP));
  if (r.code !== 0) throw new Error(`${APP}: push failed:\n${r.output}`);
  while ((await get(mc.httpPort, HOST)).status !== 200) await sleep(20);
  return performance.now() - t;
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 180_000): Promise<void> {
  for (const end = Date.now() + ms; !(await check().catch(() => false));) {
    if (Date.now() > end) throw new Error(`swarm bench: ${what} did not happen within ${ms / 1000} s`);
    await sleep(100);
  }
}

const webUp = async (mc: Minicloud) => (await mc.api<Instance[]>('GET', `/api/apps/${APP}/ps`)).body.filter((i) => i.type === 'web' && i.state === 'up');

/** `REQUESTS` GETs one after the other through the router, to two web instances: each one's time. */
async function latency(mc: Minicloud): Promise<{ all: Stats; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    const r = await get(mc.httpPort, HOST);
    if (r.status !== 200) throw new Error(`swarm bench: a request answered ${r.status}`);
    times.push(performance.now() - t);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { all: stats(times), p99: sorted[Math.floor(sorted.length * 0.99)]! };
}

interface Rows { rows: Array<[string, Stats]>; p99: number; nodeDeathS?: number; outOfRotationS?: number; failedDuringDeath?: string }

async function runtimeRows(runtime: 'docker' | 'swarm'): Promise<Rows> {
  const redis = await startRedis();
  let swarm: Swarm | undefined;
  let mc: Minicloud | undefined;
  try {
    let env: Record<string, string> = { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-bench' };
    if (runtime === 'swarm') {
      swarm = await startSwarm({ nodes: 2 });
      swarm.loadImage(dockerHost(), process.env.MINICLOUD_BASE_IMAGE_NODE ?? 'minicloud/node');
      env = { MINICLOUD_RUNTIME: 'swarm', DOCKER_HOST: swarm.manager.dockerHost, MINICLOUD_SWARM_REGISTRY: swarm.registry, MINICLOUD_DOCKER_NETWORK: 'mc-swarm-bench' };
    }
    mc = await startMinicloud(redis.url, { ...env, MINICLOUD_HEALTH_INTERVAL: '1' });
    await mc.api('POST', '/api/apps', { name: APP });
    const repo = fixtureRepo('node-hello');
    const cold = [await timedPush(mc, repo)];
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      appendFileSync(join(repo, 'CHANGES.txt'), `code-only change ${i}\n`);
      commitAll(repo, 'code only');
      warm.push(await timedPush(mc, repo));
    }
    const scaled = await mc.api('PATCH', `/api/apps/${APP}/formation`, { web: 2 });
    if (scaled.status !== 200) throw new Error(`swarm bench: ps:scale answered ${scaled.status}`);
    await waitFor('two web instances', async () => (await webUp(mc as Minicloud)).length === 2);
    const lat = await latency(mc);
    const out: Rows = {
      rows: [[`${runtime}: node-hello cold deploy (first push)`, stats(cold)], [`${runtime}: node-hello code-only redeploy`, stats(warm)], [`${runtime}: GET through the router (2 web)`, lat.all]],
      p99: lat.p99,
    };
    if (swarm) Object.assign(out, await nodeDeath(mc, swarm));
    return out;
  } finally {
    await mc?.stop();
    await redis.stop();
    await swarm?.down();
  }
}

/** When the router took each of `dead` (host:port) out of rotation, from the app's router log (ms since the epoch), or undefined. */
async function outOfRotation(mc: Minicloud, dead: string[], since: number): Promise<Array<number | undefined>> {
  const log = (await mc.cli('logs', APP, '--router', '-n', '5000')).stdout.split('\n');
  return dead.map((u) => {
    const m = log.map((l) => /^(\S+) instance (\S+) out of rotation/.exec(l)).find((x) => x?.[2] === u && Date.parse(x[1]!) >= since - 50);
    return m ? Date.parse(m[1]!) : undefined;
  });
}

/**
 * Kills the node that is not the manager, outright; times until the router took its instance out of rotation (after
 * which no request goes there) and until both web instances are up on the manager again.
 */
async function nodeDeath(mc: Minicloud, swarm: Swarm): Promise<Pick<Rows, 'nodeDeathS' | 'outOfRotationS' | 'failedDuringDeath'>> {
  const [a, b] = swarm.nodes as [Swarm['nodes'][0], Swarm['nodes'][0]];
  await waitFor('a web instance on each node', async () => new Set((await webUp(mc)).map((i) => i.host)).size === 2);
  const dead = (await webUp(mc)).filter((i) => i.host === b.ip).map((i) => `${i.host}:${i.port}`);
  let running = true;
  let total = 0;
  let failed = 0;
  const traffic = (async () => {
    while (running) {
      total++;
      if ((await get(mc.httpPort, HOST).catch(() => ({ status: 0 }))).status !== 200) failed++;
    }
  })();
  const killed = performance.now();
  const killedAt = Date.now();
  swarm.killNode(b.name);
  let outAt: number[] = [];
  await waitFor('the router to take the dead node\'s instance out of rotation', async () => {
    const at = await outOfRotation(mc, dead, killedAt);
    outAt = at.filter((t) => t !== undefined);
    return outAt.length === dead.length;
  });
  await waitFor('both web instances up on the surviving node', async () => {
    const up = await webUp(mc);
    return up.length === 2 && up.every((i) => i.host === a.ip);
  });
  const nodeDeathS = (performance.now() - killed) / 1000;
  running = false;
  await traffic;
  return { nodeDeathS, outOfRotationS: (Math.max(...outAt) - killedAt) / 1000, failedDuringDeath: `${failed} of ${total}` };
}

export async function swarmBench(): Promise<void> {
  const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
  const before = load();
  const docker = await runtimeRows('docker');
  const swarm = await runtimeRows('swarm');
  printTable(`Swarm beside Docker: push to the router's first 200 (node-hello fixture, ${RUNS} code-only redeploys), ${REQUESTS} GETs one at a time; load average ${before} at start, ${load()} at the end`, [
    ...docker.rows, ...swarm.rows,
  ]);
  console.log(`  p99 of the GETs: docker ${docker.p99.toFixed(1)} ms, swarm ${swarm.p99.toFixed(1)} ms`);
  console.log(`\nA swarm node killed outright (every process of it): the router took its web instance out of rotation after ${swarm.outOfRotationS?.toFixed(2)} s; `
    + `it served again on the other node after ${swarm.nodeDeathS?.toFixed(1)} s (heartbeat 1 s); requests failed meanwhile: ${swarm.failedDuringDeath}`);
}
