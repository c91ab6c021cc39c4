// `minicloud swarm:init`: this server's engine becomes a one-node swarm (or a manager it already is is adopted), the
// runtime becomes Swarm for good (recorded in <data>/runtime.json, so a restart keeps it), and every running app
// moves from its containers to services with no request failing (processes/runtime-move.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { UserError, type Logger, type SwarmInitDone } from '../core/index.ts';
import { AppLocks } from '../pipeline/index.ts';
import { moveApps, type Formation } from '../processes/index.ts';
import { RuntimeSwitch, engineSwarm, initSwarm, isContainerHandle, swarmNodes, type EngineClient, type Runtime, type RuntimeChoice } from '../runtime/index.ts';
import type { Store } from '../store/index.ts';

interface RuntimeRecord { runtime: 'swarm'; since: string }

/** What swarm:init recorded, if it ran: the runtime this server keeps. */
export function recordedRuntime(file: string): RuntimeRecord | null {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as Partial<RuntimeRecord>;
    return r.runtime === 'swarm' ? { runtime: 'swarm', since: String(r.since ?? '') } : null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UserError(`${file} is not readable as minicloud's runtime record (${(e as Error).message})`, 'it holds {"runtime":"swarm"} once `minicloud swarm:init` ran: fix or remove it');
  }
}

/**
 * The runtime to start on. After swarm:init the record wins over no setting; a MINICLOUD_RUNTIME naming another is
 * refused: the apps run as Swarm services, which Docker alone or host processes would start again beside them.
 */
export function runtimeAfterInit(choice: RuntimeChoice, file: string): RuntimeChoice {
  const rec = recordedRuntime(file);
  if (!rec || choice === 'swarm') return rec ? 'swarm' : choice;
  if (choice === 'auto') return 'swarm';
  throw new UserError(
    `MINICLOUD_RUNTIME=${choice}, but this server was made a swarm (\`minicloud swarm:init\`, ${rec.since}): its apps run as Swarm services`,
    `unset MINICLOUD_RUNTIME or set it to swarm (${file} records the change)`,
  );
}

export interface SwarmSwitchDeps {
  store: Store;
  formation: Formation;
  runtime: Runtime;
  docker: EngineClient | null;
  /** The Swarm runtime new instances start on from the change on. */
  makeSwarm: () => Runtime;
  /** Whether release images go to a registry every node pulls from (else: one node only). */
  registry: boolean;
  recordFile: string;
  locksDir: string;
  log: Logger;
}

export class SwarmSwitch {
  private busy = false;
  private readonly locks: AppLocks;

  constructor(private readonly d: SwarmSwitchDeps) {
    this.locks = new AppLocks(d.locksDir);
  }

  async init(addr: string | undefined, say: (line: string) => void): Promise<SwarmInitDone> {
    const { docker, runtime } = this.d;
    if (!docker || !(runtime instanceof RuntimeSwitch)) {
      throw new UserError('this server runs apps as host processes: a swarm is made of Docker engines', 'install Docker (scripts/install.sh does), start minicloud on it (MINICLOUD_RUNTIME=docker), then run swarm:init', 409);
    }
    if (runtime.name === 'swarm') throw new UserError('this server is a swarm already: its apps run as Swarm services', '`minicloud nodes` lists its nodes; `minicloud nodes:add` prints how another server joins', 409);
    if (this.busy) throw new UserError('swarm:init is under way already', 'wait for it to end (`minicloud status` says Docker Swarm once it has)', 409);
    this.refuseDuringDeploys();
    this.busy = true;
    try {
      const t0 = Date.now();
      if (!this.d.registry && (await engineSwarm(docker)) === 'manager') {
        const nodes = await swarmNodes(docker);
        if (nodes > 1) throw new UserError(`this server's engine manages a swarm of ${nodes} nodes, and minicloud has no registry they could pull apps' images from`, 'start minicloud with MINICLOUD_RUNTIME=swarm instead: it then runs its own registry on this manager (or uses MINICLOUD_SWARM_REGISTRY)', 409);
      }
      const made = await initSwarm(docker, addr);
      say(made.adopted ? `this server's Docker engine is a swarm manager already (${made.address}): minicloud uses it` : `this server's Docker engine is now a one-node swarm, its manager reachable at ${made.address}`);
      runtime.switchTo(this.d.makeSwarm());
      writeFileSync(this.d.recordFile, `${JSON.stringify({ runtime: 'swarm', since: new Date().toISOString() })}\n`, { mode: 0o600 });
      this.d.log.info(`Runtime: Docker Swarm from now on (swarm:init); recorded in ${this.d.recordFile}`);
      say('new instances start as Swarm services from now on; moving the running ones, each started as a service before its container stops');
      const moved = await this.move(say);
      const seconds = (Date.now() - t0) / 1000;
      say(`${moved.instances} instance(s) of ${moved.apps} app(s) moved in ${seconds.toFixed(1)} s; no minicloud container runs any more`);
      return { adopted: made.adopted, address: made.address, ...moved, seconds };
    } finally {
      this.busy = false;
    }
  }

  /** At start on a swarm: instances still in containers (a swarm:init cut short by a restart) are moved now. */
  resume(): void {
    const left = this.d.store.instances.list().filter((i) => i.handle && isContainerHandle(i.handle));
    if (this.d.runtime.name !== 'swarm' || !left.length) return;
    this.d.log.info(`moving ${left.length} instance(s) still in containers to Swarm services (a swarm:init was cut short)`);
    this.busy = true;
    void this.move((line) => this.d.log.info(line))
      .catch((e: unknown) => this.d.log.error('moving the instances left in containers failed; they keep running', e))
      .finally(() => { this.busy = false; });
  }

  private move(say: (line: string) => void) {
    return moveApps({
      store: this.d.store, formation: this.d.formation, isOld: isContainerHandle,
      cleanup: async (app) => { if (this.d.runtime instanceof RuntimeSwitch) await this.d.runtime.previous?.forget?.(app); },
      locked: async (app, fn) => {
        await this.locks.acquire(app, 'swarm-init', () => say(`waiting for the deploy of ${app} under way to end`));
        try {
          return await fn();
        } finally {
          this.locks.release(app);
        }
      },
    }, say);
  }

  private refuseDuringDeploys(): void {
    for (const app of this.d.store.apps.list()) {
      const d = this.d.store.deploys.list(app.name, 5).find((x) => x.status === 'building' || x.status === 'releasing');
      if (d) throw new UserError(`a deploy of ${app.name} is under way (${d.status})`, 'wait for it to end, then run swarm:init again: apps move one by one, and a deploy meanwhile would race the move', 409);
    }
  }
}
