// Reading the kernel's cgroup files: a process's cgroups, the cgroup mounts, flat-keyed stat files (metrics and limits share them).
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

/** Numbers of a flat-keyed cgroup file (`cpu.stat`, `memory.stat`): `key value` lines. */
export function parseKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

