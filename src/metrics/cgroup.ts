// CPU time and memory of a container, read from its cgroup (v1 or v2), for instances whose pid is a container's init.
import { readFileSync } from 'node:fs';
import { groupUsage, type ProcUsage } from './proc.ts';

/** One line of /proc/<pid>/cgroup: `4:memory:/docker/<id>`; v2's is `0::/path` (no controllers). */
export interface CgroupEntry {
  controllers: string[];
  path: string;
}

/** A cgroup filesystem mounted in this mount namespace: its root within the hierarchy, and where it is mounted. */
export interface CgroupMount {
  version: 1 | 2;
  /** v1: the controllers of the hierarchy (`memory`, `cpu`, `cpuacct`, ...); v2: none. */
  controllers: string[];
  root: string;
  mountPoint: string;
}

export function parseCgroupFile(text: string): CgroupEntry[] {
  const out: CgroupEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(\/.*)$/.exec(line.trim());
    if (m) out.push({ controllers: m[1] ? m[1].split(',') : [], path: m[2]! });
  }
  return out;
}

/** mountinfo octal-escapes spaces and the like in paths (`\040`). */
const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Mount options of a v1 hierarchy that are not controllers (`name=...` and `release_agent=...` aside). */
const NOT_CONTROLLERS = new Set(['rw', 'ro', 'none', 'noprefix', 'xattr', 'clone_children', 'cpuset_v2_mode', 'favordynmods']);

/** The cgroup and cgroup2 mounts of /proc/<pid>/mountinfo (`id parent dev root mountpoint opts ... - fstype source superopts`). */
export function parseMountinfo(text: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const f = left.split(' ');
    const [fstype, , superOpts = ''] = right.trim().split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const controllers = fstype === 'cgroup' ? superOpts.split(',').filter((o) => !NOT_CONTROLLERS.has(o) && !o.includes('=')) : [];
    out.push({ version: fstype === 'cgroup2' ? 2 : 1, controllers, root: unescapeMount(f[3] ?? '/'), mountPoint: unescapeMount(f[4] ?? '') });
  }
  return out;
}

/** The id of the container engine's scope a cgroup path names: cgroupfs `/docker/<id>`, systemd `docker-<id>.scope`, containerd, podman. */
export function containerId(path: string): string | null {
  const m = /(?:^|[/\-:])([0-9a-f]{64})(?:\.scope)?(?:\/|$)/.exec(path);
  return m ? m[1]! : null;
}

/** Numbers of a flat-keyed cgroup file (`cpu.stat`, `memory.stat`): `key value` lines. */
export function parseKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
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
