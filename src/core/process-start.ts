// A process's identity beyond its pid: its start time, which tells it from a later process that reused the pid.
import { readFileSync } from 'node:fs';

/** A process's start time from /proc/<pid>/stat, or null when it is gone (a zombie counts as gone: under an init that does not reap, it never leaves). */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? null : (fields[19] ?? null);
  } catch {
    return null;
  }
}
