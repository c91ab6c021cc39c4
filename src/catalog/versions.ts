// An entry's versions: its pinned `version` (the newest) and the others it lists, each with its image, and which is newer.
import type { CatalogEntry } from '../core/index.ts';

export interface EntryVersion { version: string; image: string }

/**
 * Compares two versions as upstreams number them (1.25.5, 3.1.8, 2.0.0-beta.4): part by part, numbers as numbers;
 * a version with a pre-release suffix is older than the same numbers without one. Negative when `a` is older.
 */
export function compareVersions(a: string, b: string): number {
  const [an, ...apre] = a.split('-');
  const [bn, ...bpre] = b.split('-');
  const ap = an!.split(/[.+]/);
  const bp = bn!.split(/[.+]/);
  for (let i = 0; i < Math.max(ap.length, bp.length); i++) {
    const d = part(ap[i]) - part(bp[i]);
    if (d) return d;
    if (ap[i] !== bp[i] && Number.isNaN(Number(ap[i])) && Number.isNaN(Number(bp[i]))) return (ap[i] ?? '') < (bp[i] ?? '') ? -1 : 1;
  }
  if (apre.length !== bpre.length && (!apre.length || !bpre.length)) return apre.length ? -1 : 1;
  const x = apre.join('-');
  const y = bpre.join('-');
  return x === y ? 0 : x < y ? -1 : 1;
}

function part(p: string | undefined): number {
  const n = Number.parseInt(p ?? '0', 10);
  return Number.isNaN(n) ? 0 : n;
}

/** Every version the entry runs, newest first: its pinned one (the web process's image) and those `versions` lists. */
export function entryVersions(entry: CatalogEntry): EntryVersion[] {
  const all = [{ version: entry.version, image: entry.processes.web!.image }, ...(entry.versions ?? [])];
  return all.sort((a, b) => compareVersions(b.version, a.version));
}

/** The entry with its processes at another of its versions: the same commands, env and health check, that image. */
export function atVersion(entry: CatalogEntry, v: EntryVersion): CatalogEntry {
  const processes = Object.fromEntries(Object.entries(entry.processes).map(([type, p]) => [type, { ...p, image: v.image }]));
  return { ...entry, version: v.version, processes };
}
