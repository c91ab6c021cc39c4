// Backup manifests and checksums: a part whose bytes changed (or that is missing) is refused, naming it.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { checkParts, compareCounts, manifestOf, MANIFEST, sha256File, writeManifest, type BackupPart } from '../../src/backups/index.ts';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'mc-bk-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function part(name: string, file: string, content: string): BackupPart {
  writeFileSync(join(dir, file), content);
  return { name, kind: name === 'postgres' ? 'postgres' : 'volume', file, size: content.length, sha256: sha(content), tables: 1, rows: null, restoredRows: null, verified: true, reason: '' };
}

function backup(): { id: string; app: string; createdAt: string; parts: BackupPart[] } {
  return { id: 'b1', app: 'shop', createdAt: '2026-01-01T00:00:00.000Z', parts: [part('postgres', 'postgres.dump', 'dump bytes'), part('volume /data', 'volume-data.tar.gz', 'tar bytes')] };
}

it('computes SHA-256 of a file', async () => {
  writeFileSync(join(dir, 'f'), 'hello');
  expect(await sha256File(join(dir, 'f'))).toBe(sha('hello'));
});

it('writes a manifest (mode 0600) listing every part with its checksum, and accepts intact parts', async () => {
  const b = backup();
  writeManifest(dir, b);
  expect(statSync(join(dir, MANIFEST)).mode & 0o777).toBe(0o600);
  const m = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as ReturnType<typeof manifestOf>;
  expect(m).toEqual(manifestOf(b));
  expect(m.parts.map((p) => [p.name, p.file, p.sha256])).toEqual([
    ['postgres', 'postgres.dump', sha('dump bytes')], ['volume /data', 'volume-data.tar.gz', sha('tar bytes')],
  ]);
  await expect(checkParts(dir, b)).resolves.toBeUndefined();
});

it('refuses a corrupted part, naming it and both checksums', async () => {
  const b = backup();
  writeManifest(dir, b);
  writeFileSync(join(dir, 'volume-data.tar.gz'), 'tar bytez');
  const e = (await checkParts(dir, b).then(() => null, (x: unknown) => x)) as Error & { status: number };
  expect(e.status).toBe(409);
  expect(e.message).toContain('part volume /data (volume-data.tar.gz) is corrupted');
  expect(e.message).toContain(sha('tar bytez'));
  expect(e.message).toContain(sha('tar bytes'));
  expect(e.message).toContain('nothing was restored');
});

it('refuses a missing part, a missing manifest, and a manifest that disagrees with the record', async () => {
  const b = backup();
  writeManifest(dir, b);
  rmSync(join(dir, 'postgres.dump'));
  await expect(checkParts(dir, b)).rejects.toThrow('part postgres (postgres.dump) is missing');
  rmSync(join(dir, MANIFEST));
  await expect(checkParts(dir, b)).rejects.toThrow(`its ${MANIFEST} is missing`);
  writeManifest(dir, { ...b, parts: [{ ...b.parts[0]!, sha256: sha('other') }, b.parts[1]!] });
  await expect(checkParts(dir, b)).rejects.toThrow('part postgres (postgres.dump) is not in manifest.json with the recorded checksum');
});

it('compares row counts of the source and the scratch restore', () => {
  expect(compareCounts({ 'public.notes': 3 }, { 'public.notes': 3 })).toBeNull();
  expect(compareCounts({}, {})).toBeNull();
  expect(compareCounts({ 'public.notes': 3 }, { 'public.notes': 2 })).toBe('table public.notes: 3 rows in the source, 2 restored');
  expect(compareCounts({ a: 1, b: 0 }, { a: 1 })).toBe('table b is missing after the restore');
  expect(compareCounts({ a: 1 }, { a: 1, c: 5 })).toBe('table c appeared in the restore only');
});
