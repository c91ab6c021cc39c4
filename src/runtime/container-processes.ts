// The processes of the local engine's containers as this host sees them: what the Docker runtime reads to tell a hung
// container from a busy one (Runtime.activity), and wakes before stopping a stopped one.
import { readFileSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { processTree, sumActivity } from './activity.ts';
import type { Activity } from './runtime.ts';

/**
 * The container's main process as this host sees it, or null: only when that pid is in the container's cgroup (an
 * engine on another machine, or minicloud in a container of its own, sees other pids or none).
 */
function localPid(id: string, pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(id) ? pid : null;
  } catch {
    return null;
  }
}

export class ContainerProcesses {
  /** Each running container's main process on this host, where it is visible. */
  private readonly pids = new Map<string, number>();

  /** A container started or adopted, with the engine's State.Pid. */
  track(id: string, pid: number | undefined): void {
    const local = localPid(id, pid);
    if (local !== null) this.pids.set(id, local);
  }

  forget(id: string): void {
    this.pids.delete(id);
  }

  /** CPU time, bytes read and written, runnable (see Runtime.activity); null where its processes are not visible. */
  activity(id: string): Activity | null {
    const pid = this.pids.get(id);
    return pid === undefined ? null : sumActivity(processTree(pid));
  }

  /**
   * Stops the container (SIGTERM, SIGKILL after `graceMs`) and answers its exit code. A hung one may be paused or
   * SIGSTOPped: it is unpaused and sent SIGCONT first, so it runs to get its SIGTERM (as host processes get SIGCONT).
   */
  async halt(c: Dockerode.Container, graceMs: number): Promise<number | null> {
    await c.inspect().then((i) => (i.State.Paused ? c.unpause() : undefined)).catch(() => {}); // gone, or unpaused meanwhile
    this.wake(c.id);
    await c.stop({ t: Math.ceil(graceMs / 1000) });
    return c.inspect().then((i) => i.State.ExitCode, () => null);
  }

  /** SIGCONT to every process of the container visible here. */
  wake(id: string): void {
    const pid = this.pids.get(id);
    for (const p of pid === undefined ? [] : processTree(pid)) {
      try { process.kill(p, 'SIGCONT'); } catch { /* ended meanwhile, or not ours to signal */ }
    }
  }
}
