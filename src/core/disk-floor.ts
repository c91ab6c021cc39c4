// The free-space floor below which builds and backups refuse to start (MINICLOUD_MIN_FREE): a clear refusal saying
// how much is free, how much is needed and the way out, rather than a disk filled to the last byte half-way through.
import { statfsSync } from 'node:fs';
import { UserError } from './errors.ts';

/** Bytes, or a percentage of the data directory's file system. */
export type MinFree = { bytes: number } | { percent: number };

const GIB = 1024 ** 3;
/** Unset: 1 GiB, or 5% of a disk smaller than 20 GiB (a 10 GiB VPS keeps 512 MiB), whichever is smaller. */
const DEFAULT_PERCENT = 5;

const UNITS: Record<string, number> = { '': 1024 ** 2, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: GIB, gb: GIB, gib: GIB };

/** `MINICLOUD_MIN_FREE`: `5%`, `2G`, `512M`, `512` (MiB) or `0` (no floor). */
export function parseMinFree(raw: string | undefined): MinFree | null {
  const v = raw?.trim();
  if (!v) return null; // the default: see neededBytes
  const m = /^(\d+(?:\.\d+)?)\s*(%|[kmg]i?b?)?$/i.exec(v);
  const n = m ? Number(m[1]) : Number.NaN;
  if (!m || !Number.isFinite(n) || (m[2] === '%' && n > 100)) {
    throw new UserError(`MINICLOUD_MIN_FREE=${v} is not a size`, 'give a percentage of the disk (MINICLOUD_MIN_FREE=5%), a size (2G, 512M) or 0 for no floor');
  }
  return m[2] === '%' ? { percent: n } : { bytes: Math.round(n * UNITS[(m[2] ?? '').toLowerCase()]!) };
}

export function bytesText(n: number): string {
  if (n >= GIB) return `${(n / GIB).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(0)} MiB`;
  return `${Math.round(n / 1024)} KiB`;
}

export function neededBytes(floor: MinFree | null, total: number): number {
  if (!floor) return Math.min(GIB, Math.round((total * DEFAULT_PERCENT) / 100));
  return 'bytes' in floor ? floor.bytes : Math.round((total * floor.percent) / 100);
}

/** The free and total bytes of `dir`'s file system (for an unprivileged writer: blocks available, not free). */
export function diskSpace(dir: string): { free: number; total: number } {
  const s = statfsSync(dir);
  return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
}

/** Throws a UserError (507) when `dir`'s file system has less free than the floor; `what`: "a build of shop". */
export function requireFreeSpace(dir: string, floor: MinFree | null, what: string): void {
  const { free, total } = diskSpace(dir);
  const needed = neededBytes(floor, total);
  if (free >= needed) return;
  throw new UserError(
    `not enough free disk space to start ${what}: ${bytesText(free)} free in ${dir}, ${bytesText(needed)} needed (MINICLOUD_MIN_FREE${floor ? '' : ', default 1 GiB or 5% of the disk'})`,
    'free some with `minicloud prune` (old builds, caches, images, git garbage) and see what uses the disk with `minicloud df`; or grow the disk',
    507,
  );
}
