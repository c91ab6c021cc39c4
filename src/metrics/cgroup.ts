// CPU time and memory of a container, read from its cgroup (v1 or v2), for instances whose pid is a container's init.
import { readFileSync } from 'node:fs';
import { parseCgroupFile, parseKeyed, parseMountinfo, type CgroupEntry, type CgroupMount } from '../core/index.ts';
import { groupUsage, type ProcUsage } from './proc.ts';

export { parseCgroupFile, parseKeyed, parseMountinfo, type CgroupEntry, type CgroupMount };

/** The id of the container engine's scope a cgroup path names: cgroupfs `/docker/<id>`, systemd `docker-<id>.scope`, containerd, podman. */
export function containerId(path: string): string | null {
  const m = /(?:^|[/\-:])([0-9a-f]{64})(?:\.scope)?(?:\/|$)/.exec(path);
  return m ? m[1]! : null;
}

export interface CgroupReader {
  /** /proc (its `<pid>/cgroup` and `self/cgroup`, `self/mountinfo`). */
  procDir?: string;
  /** Prefix of mount points, for fixtures laid out as a root filesystem; '' on the real one. */
  fsRoot?: string;
}

const read = (file: string): string | null => {
  try { return readFileSync(file, 'utf8'); } catch { return null; }
};

/**
 * The directory of `pid`'s cgroup in the hierarchy that has `controller` (v1), or in the v2 hierarchy (controller
 * null); null when that hierarchy is not mounted here or the cgroup lies outside the mounted part.
 */
function cgroupDir(entries: CgroupEntry[], mounts: CgroupMount[], controller: string | null, fsRoot: string): string | null {
  const entry = entries.find((e) => (controller ? e.controllers.includes(controller) : e.controllers.length === 0));
  const mount = mounts.find((m) => (controller ? m.version === 1 && m.controllers.includes(controller) : m.version === 2));
  if (!entry || !mount) return null;
  const root = mount.root === '/' ? '' : mount.root;
  if (root && entry.path !== root && !entry.path.startsWith(`${root}/`)) return null;
  return `${fsRoot}${mount.mountPoint}${entry.path.slice(root.length)}`.replace(/\/$/, '');
}

const num = (text: string | null): number | null => (text !== null && /^\d+\s*$/.test(text) ? Number(text) : null);

/** Memory in use less the inactive page cache (reclaimable), as `docker stats` counts it. */
function memoryBytes(entries: CgroupEntry[], mounts: CgroupMount[], fsRoot: string): number | null {
  const v1 = cgroupDir(entries, mounts, 'memory', fsRoot);
  if (v1) {
    const usage = num(read(`${v1}/memory.usage_in_bytes`));
    if (usage !== null) return Math.max(0, usage - (parseKeyed(read(`${v1}/memory.stat`) ?? '').get('total_inactive_file') ?? 0));
  }
  const v2 = cgroupDir(entries, mounts, null, fsRoot);
  const current = v2 ? num(read(`${v2}/memory.current`)) : null;
  if (current === null) return null;
  return Math.max(0, current - (parseKeyed(read(`${v2}/memory.stat`) ?? '').get('inactive_file') ?? 0));
}

/** CPU time in seconds: v1 cpuacct.usage (ns), else v2 cpu.stat usage_usec (present even with no controllers enabled). */
function cpuSeconds(entries: CgroupEntry[], mounts: CgroupMount[], fsRoot: string): number | null {
  const v1 = cgroupDir(entries, mounts, 'cpuacct', fsRoot);
  const ns = v1 ? num(read(`${v1}/cpuacct.usage`)) : null;
  if (ns !== null) return ns / 1e9;
  const v2 = cgroupDir(entries, mounts, null, fsRoot);
  const usec = v2 ? parseKeyed(read(`${v2}/cpu.stat`) ?? '').get('usage_usec') : undefined;
  return usec === undefined ? null : usec / 1e6;
}

/**
 * The usage of the container `pid` runs in, from its cgroup: null when the pid is gone, is in no container's
 * cgroup, or shares minicloud's own (minicloud itself in a container, running apps as host processes).
 */
export function containerUsage(pid: number, o: CgroupReader = {}): ProcUsage | null {
  const procDir = o.procDir ?? '/proc';
  const fsRoot = o.fsRoot ?? '';
  const entries = parseCgroupFile(read(`${procDir}/${pid}/cgroup`) ?? '');
  const path = (entries.find((e) => e.controllers.includes('memory')) ?? entries.find((e) => e.controllers.length === 0))?.path;
  if (!path || containerId(path) === null) return null;
  const own = parseCgroupFile(read(`${procDir}/self/cgroup`) ?? '');
  const ownPath = (own.find((e) => e.controllers.includes('memory')) ?? own.find((e) => e.controllers.length === 0))?.path;
  if (ownPath === path) return null;
  const mounts = parseMountinfo(read(`${procDir}/self/mountinfo`) ?? '');
  const rss = memoryBytes(entries, mounts, fsRoot);
  const cpu = cpuSeconds(entries, mounts, fsRoot);
  if (rss === null || cpu === null) return null;
  return { cpuSeconds: cpu, rssBytes: rss };
}

/** An instance's usage: its container's cgroup when its pid is a container's init, else its process group's. */
export function instanceUsage(pid: number, o: CgroupReader = {}): ProcUsage | null {
  return containerUsage(pid, o) ?? groupUsage(pid, o.procDir);
}
