// Which confinement this host allows: cgroup v2 where it has the controllers, else v1, else process groups (and why).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCgroupFile, parseMountinfo, type CgroupEntry, type CgroupMount } from './cgroup-files.ts';
import { CgroupV1, CgroupV2 } from './cgroups.ts';
import { ProcessGroups, type Confinement } from './confine.ts';

export interface ConfineOptions {
  /** This minicloud's directory name in each hierarchy (`minicloud-<hash of its data dir>`): servers side by side keep apart. */
  namespace: string;
  /** /proc, for tests. */
  procDir?: string;
  /** `off`: process groups even where cgroups could be used (MINICLOUD_CGROUPS=off). */
  mode?: 'auto' | 'off';
}

const read = (file: string): string => {
  try { return readFileSync(file, 'utf8'); } catch { return ''; }
};

/** The directory of our cgroup in a mount: its mount point plus our path below the mount's root. */
function dirIn(mount: CgroupMount, entry: CgroupEntry | undefined): string | null {
  if (!entry) return null;
  const root = mount.root === '/' ? '' : mount.root;
  if (root && entry.path !== root && !entry.path.startsWith(`${root}/`)) return null;
  return `${mount.mountPoint}${entry.path.slice(root.length)}`.replace(/\/$/, '');
}

const reason = (e: unknown) => {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS'
    ? `${err.path ?? 'the cgroup'} is not writable (${err.code})${process.getuid?.() === 0 ? '' : ': minicloud is not root and has no cgroup delegated to it'}`
    : err.message;
};

/**
 * New groups go inside the cgroup minicloud itself runs in, not at the top of the hierarchy: limits set on
 * minicloud (a systemd unit's MemoryMax=, a container's) then bound its apps too.
 */
export function chooseConfinement(o: ConfineOptions): Confinement {
  if (o.mode === 'off') return new ProcessGroups('cgroups turned off with MINICLOUD_CGROUPS=off');
  const procDir = o.procDir ?? '/proc';
  const mounts = parseMountinfo(read(`${procDir}/self/mountinfo`));
  const own = parseCgroupFile(read(`${procDir}/self/cgroup`));
  const problems: string[] = [];
  const v2 = mounts.find((m) => m.version === 2);
  const v2dir = v2 && dirIn(v2, own.find((e) => e.controllers.length === 0));
  if (v2dir && read(join(v2dir, 'cgroup.controllers')).trim()) {
    try {
      return new CgroupV2(v2dir, join(v2dir, o.namespace));
    } catch (e) {
      problems.push(`cgroup v2: ${reason(e)}`);
    }
  }
  const v1 = (controller: string) => {
    const mount = mounts.find((m) => m.version === 1 && m.controllers.includes(controller));
    const dir = mount && dirIn(mount, own.find((e) => e.controllers.includes(controller)));
    return dir ? join(dir, o.namespace) : undefined;
  };
  const [memory, pids, cpu] = [v1('memory'), v1('pids'), v1('cpu')];
  if (memory && pids) {
    try {
      return new CgroupV1({ memory, pids, ...(cpu && { cpu }) });
    } catch (e) {
      problems.push(`cgroup v1: ${reason(e)}`);
    }
  }
  if (!problems.length) problems.push('no cgroup hierarchy with the memory and pids controllers is mounted');
  return new ProcessGroups(problems.join('; '));
}
