// Benchmark: minicloud's own memory (RSS and PSS of its process, from /proc/<pid>/smaps_rollup), idle and with 10
// small apps deployed and answering a trickle of requests, with the metrics history on and off
// (MINICLOUD_METRICS_HISTORY); alerting is on in every row (its checks run every minute).
import { readFileSync } from 'node:fs';
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

const APPS = 10;
/** Long enough for the history's once-a-minute write and the alerts' once-a-minute checks to have run. */
const TRAFFIC_MS = 75_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RSS and PSS in MB of one process. */
function memory(pid: number): { rss: number; pss: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rss: kb('Rss') / 1024, pss: kb('Pss') / 1024 };
}

/**
 * The lowest of 10 looks 2 s apart: V8's heap grows between collections by amounts that vary from run to run (medians
 * of two runs differed by 15 MB); the low point, after a collection, is what stays in use.
 */
async function settled(mc: Minicloud): Promise<{ rss: number; pss: number }> {
  const looks: Array<{ rss: number; pss: number }> = [];
  for (let i = 0; i < 10; i++) {
    looks.push(memory(mc.pid()!));
    await sleep(2000);
  }
  return { rss: Math.min(...looks.map((l) => l.rss)), pss: Math.min(...looks.map((l) => l.pss)) };
}

async function footprint(history: 'on' | 'off'): Promise<Array<[string, { rss: number; pss: number }]>> {
  const redis = await startRedis();
  const mc = await startMinicloud(redis.url, { MINICLOUD_METRICS_HISTORY: history });
  try {
    await sleep(30_000); // start-up garbage collected, the first history write and alert checks done
    const idle = await settled(mc);
    const repo = fixtureRepo('node-hello');
    const names = Array.from({ length: APPS }, (_, i) => `foot${i}`);
    for (const app of names) {
      await mc.api('POST', '/api/apps', { name: app });
      const r = await push(repo, mc.gitUrl(app));
      if (r.code !== 0) throw new Error(`deploy of ${app} failed:\n${r.output}`);
    }
    // A trickle: every app one request a second, so every app has minutes to keep and write.
    const end = Date.now() + TRAFFIC_MS;
    while (Date.now() < end) {
      await Promise.all(names.map((app) => get(mc.httpPort, `${app}.localhost`).catch(() => undefined)));
      await sleep(1000);
    }
    const busy = await settled(mc);
    return [[`history ${history}: idle, no apps`, idle], [`history ${history}: ${APPS} apps answering`, busy]];
  } finally {
    await mc.stop();
    await redis.stop();
  }
}

export async function footprintBench(): Promise<void> {
  const rows = [...(await footprint('off')), ...(await footprint('on'))];
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`\nminicloud's own memory (its process; lowest of 10 looks 2 s apart; MB)`);
  console.log(`  ${'case'.padEnd(width)}  ${'RSS'.padStart(7)}  ${'PSS'.padStart(7)}`);
  for (const [name, m] of rows) console.log(`  ${name.padEnd(width)}  ${m.rss.toFixed(1).padStart(7)}  ${m.pss.toFixed(1).padStart(7)}`);
  const cost = rows[3]![1].rss - rows[1]![1].rss;
  console.log(`  the history's cost with ${APPS} apps: ${cost >= 0 ? '+' : ''}${cost.toFixed(1)} MB RSS`);
}
