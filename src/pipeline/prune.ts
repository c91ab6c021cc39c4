// Keeping the builds dir bounded: release directories the last few releases do not run are removed.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { artifactRef } from '../core/index.ts';
import type { Store } from '../store/index.ts';

/** How many of an app's newest succeeded releases keep their build, for restarts and rollbacks. */
export const KEEP_BUILDS = 10;

/**
 * The artifacts (directories, images) worth keeping, most wanted first: the current release's, then
 * those of succeeded releases, newest first, each once (config changes share their build's artifact).
 */
export function keptRefs(store: Store, app: string, keep = KEEP_BUILDS): string[] {
  const current = store.apps.get(app)?.currentRelease;
  const releases = store.releases.list(app);
  const wanted = [...releases.filter((r) => r.version === current), ...releases.filter((r) => r.status === 'succeeded')];
  return [...new Set(wanted.map((r) => artifactRef(r.artifact)))].slice(0, keep);
}

export function pruneBuilds(store: Store, buildsDir: string, app: string, keep = KEEP_BUILDS): void {
  const kept = new Set(keptRefs(store, app, keep));
  const active = new Set(store.deploys.list(app).filter((d) => d.status !== 'succeeded' && d.status !== 'failed').map((d) => d.id));
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
