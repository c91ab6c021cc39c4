// Confinement: the group an instance, build or one-off runs in (a cgroup, or its process group), its limits, and ending it whole.
import { readdirSync, readFileSync } from 'node:fs';
import { processStart } from './process-start.ts';

export interface Limits {
  /** Memory in MiB (swap included where the kernel accounts it). */
  memoryMb?: number;
  /** CPU quota in CPUs (0.5: half of one). */
  cpu?: number;
  /** Processes and threads together. */
  pids?: number;
  /**
   * CPU weight against the server's other groups when the CPU is contended (cgroup v2's cpu.weight scale: 100 is
   * everyone's default); idle CPU stays usable. A preview's build runs low so production keeps its latency.
   */
  weight?: number;
}

/** A weight on cgroup v2's scale (100 the default) as CPU shares, cgroup v1's and Docker's scale (1024 the default). */
export const cpuShares = (weight: number): number => Math.max(2, Math.round((weight * 1024) / 100));

export type ConfineKind = 'cgroup v2' | 'cgroup v1' | 'process groups';

/** One group of processes that start, are limited and end together. */
export interface Group {
  /** Its durable name (kept in an instance's handle, found again after minicloud restarts); '' for a process group. */
  readonly name: string;
  /** Puts a process in the group; it must not have forked yet (see `spawnGated`). */
  place(pid: number): void;
  /** The live processes in it (zombies not counted). */
  pids(): number[];
  /** Signals every process in it; how many there were. */
  signal(sig: NodeJS.Signals): number;
  /** How many times the kernel's OOM killer killed a process of it (0 where that cannot be known). */
  oomKills(): number;
  /** Removes the group once it is empty (its last processes may still be leaving); harmless when gone. */
  remove(): Promise<void>;
}

export interface Confinement {
  readonly kind: ConfineKind;
  /** Whether memory and CPU limits hold (cgroups), or only the process cap (prlimit, per app user). */
  readonly enforcesLimits: boolean;
  /** One line for `minicloud status`: the mechanism, and why when it is the fallback. */
  readonly summary: string;
  /** A new group named `name` (unique among this minicloud's), with `limits`. */
  create(name: string, limits: Limits): Group;
  /** A group made earlier by name (by an earlier minicloud process too). */
  open(name: string): Group;
  /** The names of this minicloud's groups that exist now. */
  names(): string[];
  /** minicloud stops: its own directories go if no group is left in them (apps outlive minicloud, and keep theirs). */
  tidy(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * SIGKILL to every process of the group until none is left (false if some outlived every round). A fork bomb
 * forks while it is being killed: each round kills what the last one missed, and the process limit bounds how
 * many there can be. The group stays (its OOM count is read after this); `remove` it after.
 */
export async function killGroup(g: Group, rounds = 400): Promise<boolean> {
  for (let i = 0; i < rounds; i++) {
    if (g.signal('SIGKILL') === 0) return true;
    await sleep(i < 20 ? 5 : 50);
  }
  return false;
}

/** The pgrp, session and state of a process from /proc/<pid>/stat. */
function statOf(pid: string): { pgrp: number; session: number; state: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: f[0]!, pgrp: Number(f[2]), session: Number(f[3]) };
  } catch {
    return null;
  }
}

/**
 * A process group (the fallback without cgroups): the leader's pid is its id. The id cannot be taken by another
 * process while any member lives (the kernel keeps it), so members found are ours, unless the leader's pid now
 * belongs to a later process (its start time differs): then the group ended long ago and is not ours.
 */
export class ProcessGroup implements Group {
  readonly name = '';
  /** `session`: every process of the leader's session, not only of its process group (a console's shell puts each job in a group of its own). */
  constructor(private pgid = 0, private start: string | null = null, private readonly session = false) {}

  place(pid: number): void {
    this.pgid = pid;
    this.start = processStart(pid);
  }

  pids(): number[] {
    if (!this.pgid) return [];
    const now = processStart(this.pgid);
    if (now !== null && this.start !== null && now !== this.start) return [];
    const out: number[] = [];
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      const s = statOf(d);
      if (s && (this.session ? s.session : s.pgrp) === this.pgid && s.state !== 'Z') out.push(Number(d));
    }
    return out;
  }

  signal(sig: NodeJS.Signals): number {
    let n = 0;
    for (const pid of this.pids()) {
      try { process.kill(pid, sig); n++; } catch { /* gone meanwhile */ }
    }
    return n;
  }

  oomKills(): number {
    return 0;
  }

  async remove(): Promise<void> {}
}

/** No cgroups: each instance is its own process group, always killed whole; limits are the app user's process cap only. */
export class ProcessGroups implements Confinement {
  readonly kind = 'process groups' as const;
  readonly enforcesLimits = false;
  readonly summary: string;

  constructor(why: string) {
    this.summary = `process groups (${why}): an instance's processes always end together, but memory and CPU limits are not enforced`;
  }

  create(): Group {
    return new ProcessGroup();
  }

  open(): Group {
    return new ProcessGroup();
  }

  names(): string[] {
    return [];
  }

  tidy(): void {}
}
