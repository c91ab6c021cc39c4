// Checksums and the manifest.json written next to a backup's parts; checked before anything is restored.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/index.ts';
import type { Backup, BackupPart } from '../store/backups.ts';

export const MANIFEST = 'manifest.json';

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('error', reject).on('data', (d) => h.update(d)).on('end', () => resolve(h.digest('hex')));
  });
}

export interface Manifest {
  app: string;
  id: string;
  createdAt: string;
  /** How it ended (since minicloud wrote it here; older manifests lack it). */
  status?: Backup['status'];
  parts: Array<Pick<BackupPart, 'name' | 'kind' | 'file' | 'path' | 'size' | 'sha256' | 'tables' | 'rows'>>;
}

export function manifestOf(b: Pick<Backup, 'app' | 'id' | 'createdAt' | 'parts'> & { status?: Backup['status'] }): Manifest {
  return {
    app: b.app, id: b.id, createdAt: b.createdAt, ...(b.status && { status: b.status }),
    parts: b.parts.map((p) => ({ name: p.name, kind: p.kind, file: p.file, path: p.path, size: p.size, sha256: p.sha256, tables: p.tables, rows: p.rows })),
  };
}

export function writeManifest(dir: string, b: Pick<Backup, 'app' | 'id' | 'createdAt' | 'parts'> & { status?: Backup['status'] }): void {
  writeFileSync(join(dir, MANIFEST), `${JSON.stringify(manifestOf(b), null, 2)}\n`, { mode: 0o600 });
}

/**
 * Every part is on disk with the checksum the record and the manifest hold; else a UserError naming the part.
 * Reads only: nothing is touched.
 */
export async function checkParts(dir: string, b: Pick<Backup, 'id' | 'parts'>): Promise<void> {
  const refuse = (why: string) => new UserError(
    `backup ${b.id} cannot be restored: ${why}; nothing was restored`,
    'restore another backup (see `minicloud backups <app>`)', 409,
  );
  const manifestFile = join(dir, MANIFEST);
  if (!existsSync(manifestFile)) throw refuse(`its ${MANIFEST} is missing`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
  } catch {
    throw refuse(`its ${MANIFEST} is not valid JSON`);
  }
  for (const p of b.parts) {
    const listed = manifest.parts?.find((m) => m.file === p.file);
    if (!listed || listed.sha256 !== p.sha256) throw refuse(`part ${p.name} (${p.file}) is not in ${MANIFEST} with the recorded checksum`);
    const file = join(dir, p.file);
    if (!existsSync(file)) throw refuse(`part ${p.name} (${p.file}) is missing`);
    const actual = await sha256File(file);
    if (actual !== p.sha256) {
      throw refuse(`part ${p.name} (${p.file}) is corrupted: its SHA-256 checksum is ${actual}, the manifest says ${p.sha256}`);
    }
  }
}
