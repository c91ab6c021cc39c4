// cgroup v1 and v2 as a Confinement: a directory per group under this minicloud's own, limits written into it, ended whole.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKeyed } from './cgroup-files.ts';
import { cpuShares, type Confinement, type Group, type Limits } from './confine.ts';
import { processStart } from './process-start.ts';

const read = (file: string): string | null => {
  try { return readFileSync(file, 'utf8'); } catch { return null; }
};
const write = (file: string, value: string) => writeFileSync(file, value);
/** The processes listed in a cgroup.procs file (zombies left out: they are gone but for their exit status). */
const procs = (dir: string): number[] => (read(join(dir, 'cgroup.procs')) ?? '').split('\n').filter((l) => /^\d+$/.test(l)).map(Number).filter((p) => processStart(p) !== null);
const MiB = 1024 * 1024;
/** CFS bandwidth period: 100 ms, the kernel's and Docker's default. */
const PERIOD_US = 100_000;

/** rmdir, again while the kernel says busy: a killed process counts until its parent has reaped it. */
async function removeDir(dir: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return rmdirSync(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      // Still busy after 10 s: left for the next start's sweep of this minicloud's groups.
      if (code !== 'EBUSY' || i >= 200) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Removes a directory of groups if it has none left. */
function tidyDir(dir: string): void {
  if (names(dir).length) return;
  try { rmdirSync(dir); } catch { /* a group came meanwhile, or it is gone */ }
}

function signalAll(pids: number[], sig: NodeJS.Signals): number {
  let n = 0;
  for (const pid of pids) {
    try { process.kill(pid, sig); n++; } catch { /* gone meanwhile */ }
  }
  return n;
}

/** Group names are made by minicloud (app names and ids); a name with a path in it would be a bug, not an input. */
function checkName(name: string): string {
  if (!/^[a-z0-9][a-z0-9._-]{0,200}$/.test(name)) throw new Error(`invalid cgroup name ${JSON.stringify(name)}`);
  return name;
}

const names = (base: string) => {
  try { return readdirSync(base, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name); } catch { return []; }
};

/** v1: one directory per hierarchy (memory, pids, cpu), each group a directory in each. */
export class CgroupV1 implements Confinement {
  readonly kind = 'cgroup v1' as const;
  readonly enforcesLimits = true;
  readonly summary: string;

  /** `bases`: this minicloud's directory in each hierarchy (made here when missing). */
  constructor(private readonly bases: { memory: string; pids: string; cpu?: string }) {
    for (const dir of Object.values(bases)) mkdirSync(dir, { recursive: true });
    this.summary = `cgroup v1 (${bases.memory}): each instance, build and one-off in its own cgroup; memory, ${bases.cpu ? 'CPU and ' : ''}process limits enforced, out-of-memory kills reported`;
  }

  private dirs(name: string): string[] {
    return Object.values(this.bases).map((b) => join(b, checkName(name)));
  }

  create(name: string, limits: Limits): Group {
    for (const d of this.dirs(name)) mkdirSync(d, { recursive: true });
    const g = join(this.bases.memory, name);
    if (limits.memoryMb) {
      write(join(g, 'memory.limit_in_bytes'), String(limits.memoryMb * MiB));
      // With swap accounting on, memory and swap together get the same cap: the app cannot swap its way past it.
      if (existsSync(join(g, 'memory.memsw.limit_in_bytes'))) write(join(g, 'memory.memsw.limit_in_bytes'), String(limits.memoryMb * MiB));
    }
    if (limits.pids) write(join(this.bases.pids, name, 'pids.max'), String(limits.pids));
    if (limits.cpu && this.bases.cpu) {
      write(join(this.bases.cpu, name, 'cpu.cfs_period_us'), String(PERIOD_US));
      write(join(this.bases.cpu, name, 'cpu.cfs_quota_us'), String(Math.max(1000, Math.round(limits.cpu * PERIOD_US))));
    }
    if (limits.weight && this.bases.cpu) write(join(this.bases.cpu, name, 'cpu.shares'), String(cpuShares(limits.weight)));
    return this.open(name);
  }

  open(name: string): Group {
    const dirs = this.dirs(name);
    const memory = join(this.bases.memory, name);
    const pids = () => [...new Set(dirs.flatMap(procs))];
    return {
      name,
      place: (pid) => { for (const d of dirs) write(join(d, 'cgroup.procs'), String(pid)); },
      pids,
      signal: (sig) => signalAll(pids(), sig),
      oomKills: () => parseKeyed(read(join(memory, 'memory.oom_control')) ?? '').get('oom_kill') ?? 0,
      remove: async () => { await Promise.all(dirs.map(removeDir)); },
    };
  }

  names(): string[] {
    return names(this.bases.memory);
  }

  tidy(): void {
    for (const dir of Object.values(this.bases)) tidyDir(dir);
  }
}

/** v2: one hierarchy; this minicloud's directory with the controllers enabled for its groups. */
export class CgroupV2 implements Confinement {
  readonly kind = 'cgroup v2' as const;
  readonly enforcesLimits = true;
  readonly summary: string;
  private readonly cpu: boolean;

  /**
   * `own`: the cgroup minicloud runs in; `base`: its directory for groups, made inside `own`. v2 lets a cgroup
   * hand controllers to its children only while it holds no process itself (but the root): when `own` does, its
   * processes (minicloud, its Redis and router daemon) move to a leaf `<own>/supervisor` first, as under a
   * systemd unit with Delegate=yes.
   */
  constructor(own: string, readonly base: string) {
    const available = (read(join(own, 'cgroup.controllers')) ?? '').split(/\s+/);
    const wanted = ['memory', 'pids', 'cpu'].filter((c) => available.includes(c));
    if (!wanted.includes('memory') || !wanted.includes('pids')) throw new Error(`${own} has no memory and pids controllers to give (it has: ${available.join(' ') || 'none'})`);
    this.cpu = wanted.includes('cpu');
    mkdirSync(base, { recursive: true });
    enable(own, wanted, join(own, 'supervisor'));
    enable(base, wanted, null);
    this.summary = `cgroup v2 (${base}): each instance, build and one-off in its own cgroup; memory, ${this.cpu ? 'CPU and ' : ''}process limits enforced, out-of-memory kills reported`;
  }

  create(name: string, limits: Limits): Group {
    const g = join(this.base, checkName(name));
    mkdirSync(g, { recursive: true });
    if (limits.memoryMb) {
      write(join(g, 'memory.max'), String(limits.memoryMb * MiB));
      // No swap beyond the cap (the file exists only where the kernel accounts swap).
      if (existsSync(join(g, 'memory.swap.max'))) write(join(g, 'memory.swap.max'), '0');
    }
    if (limits.pids) write(join(g, 'pids.max'), String(limits.pids));
    if (limits.cpu && this.cpu) write(join(g, 'cpu.max'), `${Math.max(1000, Math.round(limits.cpu * PERIOD_US))} ${PERIOD_US}`);
    if (limits.weight && this.cpu) write(join(g, 'cpu.weight'), String(Math.min(10_000, Math.max(1, Math.round(limits.weight)))));
    return this.open(name);
  }

  open(name: string): Group {
    const g = join(this.base, checkName(name));
    return {
      name,
      place: (pid) => write(join(g, 'cgroup.procs'), String(pid)),
      pids: () => procs(g),
      signal: (sig) => {
        const pids = procs(g);
        // cgroup.kill (Linux 5.14+) kills every process at once, a forking one included.
        if (sig === 'SIGKILL' && pids.length && existsSync(join(g, 'cgroup.kill'))) {
          write(join(g, 'cgroup.kill'), '1');
          return pids.length;
        }
        return signalAll(pids, sig);
      },
      oomKills: () => parseKeyed(read(join(g, 'memory.events')) ?? '').get('oom_kill') ?? 0,
      remove: () => removeDir(g),
    };
  }

  names(): string[] {
    return names(this.base);
  }

  tidy(): void {
    tidyDir(this.base);
  }
}

/** Enables `controllers` for the children of `dir`; when it holds processes, they move to `leaf` first. */
function enable(dir: string, controllers: string[], leaf: string | null): void {
  const on = (read(join(dir, 'cgroup.subtree_control')) ?? '').split(/\s+/);
  const missing = controllers.filter((c) => !on.includes(c));
  if (!missing.length) return;
  const line = missing.map((c) => `+${c}`).join(' ');
  try {
    write(join(dir, 'cgroup.subtree_control'), line);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EBUSY' || !leaf) throw e;
    mkdirSync(leaf, { recursive: true });
    for (const pid of procs(dir)) {
      try { write(join(leaf, 'cgroup.procs'), String(pid)); } catch { /* gone meanwhile */ }
    }
    write(join(dir, 'cgroup.subtree_control'), line);
  }
}
