// What uses the data directory's disk, per app (git repository, builds, build cache, storage, backups, logs, and
// the Docker images the builder keeps elsewhere) and in all: `minicloud df`. Sizes are `du`'s (blocks in use, each file once), read when asked.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { diskSpace, neededBytes, type DiskUsageInfo, type MinFree } from '../core/index.ts';
import type { Store } from '../store/index.ts';

/** The directories under the data directory that hold per-app things. */
export interface DiskPaths {
  dataDir: string;
  repos: string;
  /** Clones of GitHub-connected apps' repositories (`<app>.git`), fetched for webhook deploys. */
  github: string;
  builds: string;
  cache: string;
  sources: string;
  logs: string;
  volumes: string;
  backups: string;
}

export const APP_PARTS = ['repo', 'builds', 'cache', 'volumes', 'backups', 'logs'] as const;
export type AppPart = (typeof APP_PARTS)[number];

/** Where each part of an app lives. */
export function appPaths(p: DiskPaths, app: string): Record<AppPart, string> {
  return {
    repo: join(p.repos, `${app}.git`), builds: join(p.builds, app), cache: join(p.cache, app),
    volumes: join(p.volumes, app), backups: join(p.backups, app), logs: join(p.logs, app),
  };
}

/** Bytes in use under each path (0 for one that does not exist), one `du` for all of them. */
export function duBytes(paths: string[]): Promise<Map<string, number>> {
  const present = paths.filter((x) => existsSync(x));
  const sizes = new Map(paths.map((x) => [x, 0]));
  if (present.length === 0) return Promise.resolve(sizes);
  return new Promise((resolve) => {
    // -x: this file system only (a volume mounted from elsewhere is not the data dir's disk).
    execFile('du', ['-s', '-B1', '-x', '--', ...present], { maxBuffer: 16 * 1024 * 1024 }, (_e, stdout) => {
      // du exits 1 when a file vanished while it counted: the sizes it printed still hold.
      for (const line of String(stdout).split('\n')) {
        const tab = line.indexOf('\t');
        if (tab > 0) sizes.set(line.slice(tab + 1), Number(line.slice(0, tab)));
      }
      resolve(sizes);
    });
  });
}

/** The names found as directories (or `<name>.git`) under a per-app directory. */
export function namesIn(dir: string, suffix = ''): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name.endsWith(suffix) && e.name !== 'incoming')
      .map((e) => e.name.slice(0, e.name.length - suffix.length));
  } catch {
    return [];
  }
}

/** Every app name with something on disk, apps without records (destroyed ones' leftovers) included. */
export function namesOnDisk(p: DiskPaths): string[] {
  return [...new Set([
    ...namesIn(p.repos, '.git'), ...namesIn(p.github, '.git'), ...namesIn(p.builds), ...namesIn(p.cache), ...namesIn(p.volumes), ...namesIn(p.backups), ...namesIn(p.logs),
  ])];
}

/** `images`: the builder's bytes per app outside the data directory (Docker images), when it keeps any. */
export async function diskUsage(store: Store, p: DiskPaths, minFree: MinFree | null, images?: () => Promise<Map<string, number>>): Promise<DiskUsageInfo> {
  const known = new Set(store.apps.list().map((a) => a.name));
  const counted = (await images?.().catch(() => null)) ?? null;
  const imageBytes = counted ?? new Map<string, number>();
  const names = [...new Set([...known, ...namesOnDisk(p), ...imageBytes.keys()])].sort();
  const paths = names.flatMap((n) => [...Object.values(appPaths(p, n)), join(p.github, `${n}.git`)]);
  // One du: it counts each file once across its arguments, so the data dir, last, holds only what no app part or
  // pushed archive did (the database, Redis, certificates, …).
  const sizes = await duBytes([...paths, p.sources, p.dataDir]);
  const apps = names.map((app) => {
    const where = appPaths(p, app);
    const parts = Object.fromEntries(APP_PARTS.map((k) => [k, sizes.get(where[k]) ?? 0])) as Record<AppPart, number>;
    parts.repo += sizes.get(join(p.github, `${app}.git`)) ?? 0; // a GitHub-connected app's clone counts as its git
    const img = imageBytes.get(app) ?? 0;
    return { app, exists: known.has(app), ...parts, images: img, total: APP_PARTS.reduce((s, k) => s + parts[k], 0) + img };
  }).sort((a, b) => b.total - a.total);
  const { free, total } = diskSpace(p.dataDir);
  const other = sizes.get(p.dataDir) ?? 0;
  const sources = sizes.get(p.sources) ?? 0;
  return {
    dataDir: p.dataDir, total, free, needed: neededBytes(minFree, total), imagesCounted: counted !== null,
    used: other + sources + apps.reduce((s, a) => s + a.total - a.images, 0), apps, sources, other,
  };
}
