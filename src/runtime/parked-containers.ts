// Sleeping apps' containers on Docker, made and started while the app sleeps with its command held back by their shell:
// the request that wakes the app waits for a signal and the app's own start, not for a container's create and start.
import type Dockerode from 'dockerode';
import { mark } from '../core/index.ts';
import type { InstanceSpec } from './runtime.ts';

/**
 * `sh -c`'s script in a parked container (the app's command is `$1`): wait in `wait`, which a trapped signal
 * interrupts at once, until SIGUSR1 (docker kill; the init forwards it), then exec the command as an instance's
 * `sh -c 'exec <command>'` does. Without `sleep` in the image it exits rather than spin; the wake then starts a
 * container as usual.
 */
export const HOLD_SCRIPT = 'trap \'kill $! 2>/dev/null; eval "exec $1"\' USR1; command -v sleep >/dev/null || exit 1; while :; do sleep 86400 & wait $!; done';
/** The label of parked containers: a restarted minicloud removes those no instance owns. */
export const PARKED_LABEL = 'minicloud.parked';

/** A parked container: the spec it was made for (the wake must ask for exactly that one) and its inspect at park time. */
interface Parked { app: string; key: string; info: Dockerode.ContainerInspectInfo }

const keyOf = (spec: InstanceSpec) => JSON.stringify(spec);

export class ParkedContainers {
  /** By instance id: the formation starts the parked instance ids again at the wake. */
  private readonly parked = new Map<string, Parked>();
  /** Parks under way, by instance id. */
  private readonly pending = new Map<string, Promise<void>>();
  /** Per app, how many starts without a parked container it has had: a park such a start overtook knows it. */
  private readonly rounds = new Map<string, number>();

  constructor(private readonly docker: Dockerode, private readonly remove: (id: string) => Promise<void>) {}

  /** Parks one container per spec (`make` creates and starts it held, and inspects it); one that fails is left out (the wake starts it as usual). */
  async park(app: string, specs: InstanceSpec[], make: (spec: InstanceSpec) => Promise<Dockerode.ContainerInspectInfo>): Promise<void> {
    await this.drop(app);
    const round = this.round(app);
    for (const spec of specs) {
      const parking = this.parkOne(app, spec, make, round);
      this.pending.set(spec.id, parking);
      await parking.finally(() => this.pending.delete(spec.id));
    }
  }

  private async parkOne(app: string, spec: InstanceSpec, make: (spec: InstanceSpec) => Promise<Dockerode.ContainerInspectInfo>, round: number): Promise<void> {
    const info = await make(spec).catch(() => null);
    // A wake for another release while this was made started without it (the round moved on): it is not kept.
    if (info?.State.Running && this.round(app) === round) this.parked.set(spec.id, { app, key: keyOf(spec), info });
    else if (info) await this.remove(info.Id).catch(() => {});
  }

  /**
   * The container parked for exactly `spec`, its command released; null when there is none or it no longer runs.
   * A parked container made for another spec (the app's config or release changed while it slept) is removed, with
   * the rest of the app's.
   */
  async wake(spec: InstanceSpec): Promise<Dockerode.ContainerInspectInfo | null> {
    // This very instance being parked (a wake right after the app fell asleep, or at minicloud's start): it is
    // waited for, not raced with a second container of the same name.
    await this.pending.get(spec.id);
    const p = this.parked.get(spec.id);
    if (!p || p.key !== keyOf(spec)) {
      this.rounds.set(spec.app, this.round(spec.app) + 1);
      if (this.has(spec.app)) void this.drop(spec.app).catch(() => {});
      return null;
    }
    this.parked.delete(spec.id);
    try {
      await this.docker.getContainer(p.info.Id).kill({ signal: 'SIGUSR1' });
      mark('unparked');
      return p.info;
    } catch {
      await this.remove(p.info.Id).catch(() => {}); // it exited while parked (409): start one as usual
      return null;
    }
  }

  /** Removes the app's parked containers (it woke for another release, was destroyed or renamed). */
  async drop(app: string): Promise<void> {
    const mine = [...this.parked].filter(([, p]) => p.app === app);
    for (const [id] of mine) this.parked.delete(id);
    await Promise.all(mine.map(([, p]) => this.remove(p.info.Id)));
  }

  /** At start: parked containers of an earlier minicloud process that no instance owns go (`keep`: the stored handles). */
  async sweep(keep: Set<string>): Promise<number> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [PARKED_LABEL] } });
    const stale = list.filter((c) => !keep.has(c.Id) && ![...this.parked.values()].some((p) => p.info.Id === c.Id));
    await Promise.all(stale.map((c) => this.remove(c.Id)));
    return stale.length;
  }

  private round(app: string): number {
    return this.rounds.get(app) ?? 0;
  }

  private has(app: string): boolean {
    return [...this.parked.values()].some((p) => p.app === app);
  }
}
