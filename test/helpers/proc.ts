// Test helpers for host processes: is a pid alive, a process's descendants (from /proc), waiting on a synchronous condition.
import { readdirSync, readFileSync } from 'node:fs';

/** Alive and not a zombie, from /proc. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Polls `cond` until it holds, or throws naming `what` after `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every process descending from `pid` (by parent pid, from /proc), with its command line. */
export function descendants(pid: number): Array<{ pid: number; cmd: string }> {
  const all = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).flatMap((n) => {
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return [{ pid: Number(n), ppid, cmd: readFileSync(`/proc/${n}/cmdline`, 'utf8').replaceAll('\0', ' ').trim() }];
    } catch {
      return []; // gone meanwhile
    }
  });
  const found: Array<{ pid: number; cmd: string }> = [];
  const walk = (p: number) => { for (const c of all.filter((q) => q.ppid === p)) { found.push({ pid: c.pid, cmd: c.cmd }); walk(c.pid); } };
  walk(pid);
  return found;
}
