// Keeping the builds dir bounded: release directories the last few releases do not run are removed.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store/index.ts';

/** How many of an app's newest succeeded releases keep their build, for restarts and rollbacks. */
export const KEEP_BUILDS = 10;

export function pruneBuilds(store: Store, buildsDir: string, app: string, keep = KEEP_BUILDS): void {
  const current = store.getApp(app)?.currentRelease;
  const releases = store.listReleases(app);
  const kept = new Set(
    releases.filter((r) => r.status === 'succeeded' || r.version === current).slice(0, keep).map((r) => r.artifact.ref),
  );
  const active = new Set(store.listDeploys(app).filter((d) => d.status !== 'succeeded' && d.status !== 'failed').map((d) => d.id));
  const dir = join(buildsDir, app);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (kept.has(path) || active.has(name)) continue;
    rmSync(path, { recursive: true, force: true });
  }
}
