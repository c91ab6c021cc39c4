// Test helpers for host processes: is a pid alive, a process's descendants (from /proc), waiting on a synchronous condition,
// and signals to a process named by a pid file only while it is still that process.
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

// A pid file outlives its process, and this machine's pid_max (32768) comes round within a test run: a stale pid may by
// then be another lane's dockerd or minicloud. So the process is checked to be still the one meant (its command line)
// just before the signal.
/** The pid in `file`, or null when there is none or it is not a number. */
export function pidIn(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

/** Sends `signal` to `pid` only while its command line matches `command`; whether it was sent. */
export function signalIf(pid: number | null | undefined, signal: NodeJS.Signals, command: RegExp): boolean {
  if (!pid || pid <= 1) return false;
  let cmd: string;
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return false; // gone
  }
  if (!command.test(cmd)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** The router daemon's command line (its process title), or its entry point's before the title is set. */
export const ROUTER_DAEMON = /minicloud-router|proxy\/daemon\/main/;
