// Benchmark: what minicloud weighs (RSS and PSS from /proc/<pid>/smaps_rollup) as a whole: its process, its own
// Redis (no REDIS_URL, as `npm start` on its defaults) and the router daemon with its workers, idle and with 10 small
// apps answering a trickle of requests; and its start-up time with 1 and 2 router workers (MINICLOUD_ROUTER_WORKERS).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';

const APPS = 10;
/** Long enough for the history's once-a-minute write and the alerts' once-a-minute checks to have run. */
const TRAFFIC_MS = 75_000;
const STARTS = Number(process.env.BENCH_FOOTPRINT_STARTS ?? 3);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** USS: the process's own pages (private clean + dirty); PSS also shares out the pages it has in common with others (node's code with every node process on the machine), so it moves with what else runs. */
interface Mem { rss: number; pss: number; uss: number }
type Family = Record<'minicloud' | 'redis' | 'router' | 'other', Mem & { n: number }>;

/** RSS, PSS and USS in MB of one process (zero once it is gone). */
function memory(pid: number): Mem {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? 0);
    return { rss: kb('Rss') / 1024, pss: kb('Pss') / 1024, uss: (kb('Private_Clean') + kb('Private_Dirty')) / 1024 };
  } catch {
    return { rss: 0, pss: 0, uss: 0 };
  }
}

function procs(): Array<{ pid: number; ppid: number; uid: number; cmd: string }> {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${name}/status`, 'utf8'))?.[1]);
      out.push({ pid: Number(name), ppid, uid, cmd: readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ') });
    } catch { /* gone meanwhile */ }
  }
  return out;
}

/** minicloud's processes: its own, the router daemon's and their descendants that run as minicloud's user (not apps). */
export function family(mc: Minicloud): Array<{ pid: number; cmd: string; part: keyof Family }> {
  const all = procs();
  const daemon = Number(readFileSync(join(mc.dataDir, 'router', 'router.pid'), 'utf8'));
  const main = mc.pid()!;
  const uid = all.find((p) => p.pid === main)?.uid;
  const found: Array<{ pid: number; cmd: string; part: keyof Family }> = [];
  const walk = (pid: number, part: keyof Family) => {
    const p = all.find((q) => q.pid === pid);
    if (!p || p.uid !== uid || found.some((f) => f.pid === pid)) return; // the daemon is minicloud's child too
    found.push({ pid, cmd: p.cmd, part: pid === main ? 'minicloud' : pid === daemon || part === 'router' ? 'router' : /redis-server/.test(p.cmd) ? 'redis' : 'other' });
    for (const c of all.filter((q) => q.ppid === pid)) walk(c.pid, part === 'router' || pid === daemon ? 'router' : 'other');
  };
  walk(daemon, 'router');
  walk(main, 'minicloud');
  return found;
}

function weigh(mc: Minicloud): Family {
  const zero = () => ({ rss: 0, pss: 0, uss: 0, n: 0 });
  const f: Family = { minicloud: zero(), redis: zero(), router: zero(), other: zero() };
  for (const p of family(mc)) {
    const m = memory(p.pid);
    f[p.part].rss += m.rss;
    f[p.part].pss += m.pss;
    f[p.part].uss += m.uss;
    f[p.part].n++;
  }
  return f;
}

const total = (f: Family) => Object.values(f).reduce((s, m) => s + m.pss, 0);

/**
 * The lowest of 10 looks 2 s apart: V8's heap grows between collections by amounts that vary from run to run (medians
 * of two runs differed by 15 MB); the low point, after a collection, is what stays in use.
 */
async function settled(mc: Minicloud): Promise<Family> {
  let best: Family | null = null;
  for (let i = 0; i < 10; i++) {
    const f = weigh(mc);
    if (!best || total(f) < total(best)) best = f;
    await sleep(2000);
  }
  return best!;
}

async function footprint(): Promise<Array<[string, Family]>> {
  const mc = await startMinicloud('', { MINICLOUD_ROUTER_WORKERS: '1' });
  try {
    await sleep(30_000); // start-up garbage collected, the first history write and alert checks done
    const idle = await settled(mc);
    console.log(`  processes: ${family(mc).map((p) => `${p.part} ${p.pid} ${p.cmd.slice(0, 80)}`).join('\n             ')}`);
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
    return [['idle, no apps', idle], [`${APPS} apps answering`, await settled(mc)]];
  } finally {
    await mc.stop();
  }
}

/** Seconds from spawning minicloud (fresh data dir: its Redis, database and router daemon all new) to "minicloud is up". */
async function startup(workers: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const t0 = performance.now();
    const mc = await startMinicloud('', { MINICLOUD_ROUTER_WORKERS: String(workers) });
    times.push((performance.now() - t0) / 1000);
    await mc.stop();
  }
  return times.sort((a, b) => a - b);
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

export async function footprintBench(): Promise<void> {
  console.log(`\nminicloud's footprint (load average ${load()})`);
  const rows = await footprint();
  const cell = (m: Mem & { n: number }) => `${m.rss.toFixed(1)} / ${m.pss.toFixed(1)} / ${m.uss.toFixed(1)} (${m.n})`.padStart(26);
  const sum = (f: Family, k: keyof Mem) => Object.values(f).reduce((s, m) => s + m[k], 0);
  console.log(`RSS / PSS / USS in MB (processes), lowest total PSS of 10 looks 2 s apart; load average now ${load()}`);
  console.log(`  ${'case'.padEnd(18)}${['minicloud', 'its Redis', 'router daemon', 'other'].map((h) => h.padStart(26)).join('')}${['total PSS', 'total USS'].map((h) => h.padStart(12)).join('')}`);
  for (const [name, f] of rows) {
    console.log(`  ${name.padEnd(18)}${cell(f.minicloud)}${cell(f.redis)}${cell(f.router)}${cell(f.other)}${total(f).toFixed(1).padStart(12)}${sum(f, 'uss').toFixed(1).padStart(12)}`);
  }
  for (const workers of [1, 2]) {
    const t = await startup(workers);
    console.log(`start-up with ${workers} router worker(s), spawn to "minicloud is up": median ${t[t.length >> 1]!.toFixed(2)} s (${t.map((s) => s.toFixed(2)).join(', ')}); load average ${load()}`);
  }
}
