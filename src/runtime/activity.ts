// What a running instance is doing, from /proc: its processes' CPU time and bytes read and written, and whether one
// waits for a CPU (see Runtime.activity). Shared by the host processes and the containers of the local engine.
import { readdirSync, readFileSync } from 'node:fs';
import type { Activity } from './runtime.ts';

/** utime + stime (ticks) from /proc/<pid>/stat, rchar + wchar from /proc/<pid>/io (sockets included), and whether it is runnable (R). */
export function activityOf(pid: number): Activity {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const bytes = (k: string) => Number(io.split('\n').find((l) => l.startsWith(`${k}: `))?.slice(k.length + 2) ?? 0);
    return { work: Number(f[11]) + Number(f[12]) + bytes('rchar') + bytes('wchar'), runnable: f[0] === 'R' };
  } catch {
    return { work: 0, runnable: false }; // gone meanwhile
  }
}

/** The activity of several processes together; null when there are none. */
export function sumActivity(pids: number[]): Activity | null {
  if (!pids.length) return null;
  const each = pids.map(activityOf);
  return { work: each.reduce((sum, a) => sum + a.work, 0), runnable: each.some((a) => a.runnable) };
}

/** Most processes looked at in one tree: a fork bomb's tree is not walked whole on every probe. */
const MAX_TREE = 256;

/**
 * A process and its descendants, by their host pids (each thread's `children` file in /proc); empty when the
 * process is gone or not visible here (minicloud in a container of its own sees no engine's processes).
 */
export function processTree(root: number): number[] {
  const out: number[] = [];
  const queue = [root];
  while (queue.length && out.length < MAX_TREE) {
    const pid = queue.shift()!;
    let tasks: string[];
    try { tasks = readdirSync(`/proc/${pid}/task`); } catch { continue; }
    out.push(pid);
    for (const t of tasks) {
      try {
        for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(' ')) if (c.trim()) queue.push(Number(c));
      } catch { /* the thread ended */ }
    }
  }
  return out;
}
