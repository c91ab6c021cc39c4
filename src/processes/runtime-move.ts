// Moving every running app onto the runtime new instances now start on (`minicloud swarm:init`: containers →
// Swarm services), with no request failing: each instance replaced as a node drain replaces one (Formation.move),
// an app with storage (or a service with a volume of its own) restarted stop-first, as its deploys are on a swarm.
import type { Store, StoredInstance } from '../store/index.ts';
import type { Formation } from './formation.ts';

export interface RuntimeMoveDeps {
  store: Store;
  formation: Formation;
  /** Whether an instance's handle belongs to the runtime being left. */
  isOld: (handle: string) => boolean;
  /** Runs `fn` holding the app's deploy lock: no deploy of the app runs meanwhile. */
  locked: <T>(app: string, fn: () => Promise<T>) => Promise<T>;
  /** What the old runtime kept for a moved app besides its instances (its network), dropped once they stopped. */
  cleanup?: (app: string) => Promise<void>;
}

export interface MoveSummary { apps: number; instances: number; stopFirst: string[] }

const isStateful = (d: RuntimeMoveDeps, i: StoredInstance) => d.store.releases.get(i.app, i.release)?.artifact.services?.[i.type]?.stateful === true;

/** Moves each app whose instances run on the old runtime, one app and one instance at a time. */
export async function moveApps(d: RuntimeMoveDeps, say: (line: string) => void): Promise<MoveSummary> {
  const summary: MoveSummary = { apps: 0, instances: 0, stopFirst: [] };
  const retiring: Array<Promise<void>> = [];
  const moved: string[] = [];
  try {
    for (const app of d.store.apps.list()) {
      const old = () => d.store.instances.list(app.name).filter((i) => i.handle && d.isOld(i.handle));
      if (app.state === 'sleeping') await d.formation.prewarm(app.name); // its parked containers go: the wake starts a service
      if (!old().length) continue;
      await d.locked(app.name, async () => {
        const stopFirst = d.formation.volumes(app.name).length > 0 || old().some((i) => isStateful(d, i));
        const n = await moveApp(d, app.name, old(), stopFirst, say, retiring);
        if (n) moved.push(app.name);
        if (n && stopFirst) summary.stopFirst.push(app.name);
        summary.instances += n;
      });
    }
  } finally {
    await Promise.all(retiring); // the replaced ones finish their requests and stop in any case
  }
  for (const app of moved) await d.cleanup?.(app).catch(() => { /* left for the app's destroy */ });
  return { ...summary, apps: moved.length };
}

async function moveApp(d: RuntimeMoveDeps, app: string, old: StoredInstance[], stopFirst: boolean, say: (line: string) => void, retiring: Array<Promise<void>>): Promise<number> {
  const a = d.store.apps.get(app);
  const release = d.store.releases.current(app);
  const up = old.filter((i) => i.state === 'up');
  if (a?.state !== 'running' || !release || !up.length) return 0; // nothing serves: what starts next starts on the new runtime
  if (stopFirst) {
    // Two writers never share a data dir: the container stops, then the service starts (requests held meanwhile).
    const t0 = Date.now();
    await d.formation.rollout(release, (line) => say(line.replace(/^(-----> | {7})/, '')));
    say(`moved ${app} (${up.length} instance(s), stop-first: it has storage) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return up.length;
  }
  let n = 0;
  for (const inst of up) {
    const t0 = Date.now();
    const moved = await d.formation.move(inst, () => {});
    if (!moved) continue; // replaced meanwhile (a scale, a crash): what replaced it started on the new runtime
    retiring.push(moved.retired);
    n++;
    say(`moved ${app} ${inst.type}.${inst.num ?? inst.id.slice(0, 8)} (now on ${moved.replacement.host}:${moved.replacement.port}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return n;
}
