// Backups a destroyed app left on disk (its records went with it, its files stay): adopted by the next app of that
// name, so `backups:restore` brings an app back after `apps:destroy` (a catalog app reinstalled, say).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store/index.ts';
import { MANIFEST, type Manifest } from './manifest.ts';

const ID = /^\d{8}T\d{9}Z-[0-9a-f]{4}$/;
// A manifest lists a few parts; a bigger file is not one minicloud wrote.
const MANIFEST_LIMIT = 1024 * 1024;

function read(file: string): Manifest | null {
  try {
    if (statSync(file).size > MANIFEST_LIMIT) return null;
    return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  } catch {
    return null;
  }
}

/** Records each backup under `<dir>/<app>/` that has a manifest of this app and no record; returns their ids. */
export function adoptLeftBehind(store: Store, dir: string, app: string): string[] {
  const appDir = join(dir, app);
  if (!existsSync(appDir)) return [];
  const adopted: string[] = [];
  for (const id of readdirSync(appDir).filter((n) => ID.test(n)).sort()) {
    if (store.backups.get(id)) continue;
    const m = read(join(appDir, id, MANIFEST));
    if (!m || m.app !== app || m.id !== id || !Array.isArray(m.parts) || typeof m.createdAt !== 'string') continue;
    // Written before the status was recorded in the manifest, or failed: the user decides, the checksums are checked again.
    const status = m.status === 'good' || m.status === 'unverified' ? m.status : m.status === 'failed' ? 'failed' : 'unverified';
    store.backups.add({
      id, app, createdAt: m.createdAt, finishedAt: m.createdAt, status, size: m.parts.reduce((s, p) => s + p.size, 0), dir: join(appDir, id),
      parts: m.parts.map((p) => ({ ...p, restoredRows: null, verified: status === 'good', reason: 'from the manifest an earlier app of this name left' })),
      notes: [`left on disk by an earlier ${app} (destroyed); every part's checksum is checked again before a restore`],
      error: status === 'failed' ? 'it failed when it was made (see its parts)' : null, trigger: 'manual',
    });
    adopted.push(id);
  }
  return adopted;
}
