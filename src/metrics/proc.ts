// CPU time and resident memory of a process group, read from /proc (Linux; elsewhere nothing is found).
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const CLK_TCK = 100;

export interface ProcUsage {
  cpuSeconds: number;
  rssBytes: number;
}

interface Stat { pgrp: number; ticks: number }

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
export function parseStat(text: string): Stat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const f = text.slice(close + 2).split(' ');
  // f[0] is the state (field 3), so field n is f[n - 3]: pgrp 5, utime 14, stime 15.
  const pgrp = Number(f[2]);
  const ticks = Number(f[11]) + Number(f[12]);
  return Number.isFinite(pgrp) && Number.isFinite(ticks) ? { pgrp, ticks } : null;
}

/** VmRSS of /proc/<pid>/status, in bytes (0 for a kernel thread or a zombie, which have none). */
export function parseRss(text: string): number {
  const m = /^VmRSS:\s+(\d+)\s*kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

const read = (file: string): string | null => {
  try { return readFileSync(file, 'utf8'); } catch { return null; }
};

/**
 * The usage of every process in the group led by `pid` (instances run as detached process groups),
 * summed; the process alone when it leads no group. Null when the process is gone.
 */
export function groupUsage(pid: number, procDir = '/proc'): ProcUsage | null {
  const lead = read(`${procDir}/${pid}/stat`);
  const leadStat = lead ? parseStat(lead) : null;
  if (!leadStat) return null;
  const members = new Map<number, Stat>([[pid, leadStat]]);
  if (leadStat.pgrp === pid) {
    let entries: string[] = [];
    try { entries = readdirSync(procDir).filter((n) => /^\d+$/.test(n)); } catch { /* unreadable: the leader alone */ }
    for (const name of entries) {
      const stat = Number(name) === pid ? null : parseStat(read(`${procDir}/${name}/stat`) ?? '');
      if (stat?.pgrp === pid) members.set(Number(name), stat);
    }
  }
  let ticks = 0;
  let rssBytes = 0;
  for (const [p, stat] of members) {
    ticks += stat.ticks;
    rssBytes += parseRss(read(`${procDir}/${p}/status`) ?? '');
  }
  return { cpuSeconds: ticks / CLK_TCK, rssBytes };
}
