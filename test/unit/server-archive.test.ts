// The server archive's reader against hostile and broken archives: each is refused with a clear UserError, nothing
// is written outside the destination, and the destination is removed again. A good archive reads back whole.
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import { afterAll, expect, it } from 'vitest';
import { describeFiles, readServerArchive, writeServerArchive } from '../../src/backups/server-archive.ts';
import { FORMAT, FORMAT_VERSION, type ServerManifest } from '../../src/backups/server-manifest.ts';

const root = mkdtempSync(join(tmpdir(), 'mc-archive-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const KNOWN = { schemaVersion: 16 };
let n = 0;

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function manifest(files: Array<{ name: string; body: string }>, over: Partial<ServerManifest> = {}): ServerManifest {
  return {
    format: FORMAT, formatVersion: FORMAT_VERSION, minicloudVersion: '0.1.0', schemaVersion: 16, createdAt: new Date().toISOString(),
    apps: [{ name: 'shop', release: 3, backup: null }],
    files: files.map((f) => ({ name: f.name, size: Buffer.byteLength(f.body), sha256: sha(f.body) })),
    ...over,
  };
}

type Entry = { header: Partial<Header> & { name: string }; body?: string };
/** A tar.gz of exactly these entries, in this order. */
async function tarGz(entries: Entry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((r) => p.on('end', () => r()));
  for (const e of entries) await new Promise<void>((resolve, reject) => p.entry(e.header as Header, e.body ?? '', (err) => (err ? reject(err) : resolve())));
  p.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

const file = (name: string, body: string): Entry => ({ header: { name, size: Buffer.byteLength(body), type: 'file' }, body });
const manifestEntry = (m: ServerManifest) => file('manifest.json', JSON.stringify(m));

async function read(archive: Buffer, limits?: Parameters<typeof readServerArchive>[3]) {
  const dir = join(root, `case-${++n}`);
  mkdirSync(dir);
  const f = join(dir, 'in.tar.gz');
  writeFileSync(f, archive);
  const dest = join(dir, 'out');
  const result = await readServerArchive(f, dest, KNOWN, limits).then((m) => ({ m, e: null }), (e: Error) => ({ m: null, e }));
  return { ...result, dest, dir };
}

async function refused(archive: Buffer, pattern: RegExp, limits?: Parameters<typeof readServerArchive>[3]) {
  const r = await read(archive, limits);
  expect(r.e, 'should be refused').not.toBeNull();
  expect(r.e!.name).toBe('UserError');
  expect(r.e!.message).toMatch(pattern);
  expect(r.e!.message).toContain('nothing was changed');
  expect(existsSync(r.dest), 'the destination is removed').toBe(false);
  expect(readdirSync(r.dir)).toEqual(['in.tar.gz']); // nothing written beside it either
  return r.e!;
}

it('reads back what writeServerArchive wrote, files and checksums intact', async () => {
  const stage = join(root, 'stage');
  mkdirSync(join(stage, 'apps/shop/backup'), { recursive: true });
  writeFileSync(join(stage, 'minicloud.db'), 'db');
  writeFileSync(join(stage, 'apps/shop/backup/postgres.dump'), Buffer.alloc(300_000, 7));
  const m = manifest([]);
  m.files = await describeFiles(stage);
  const out = join(root, 'good.tar.gz');
  await writeServerArchive(stage, m, createWriteStream(out));
  const r = await read(readFileSync(out));
  expect(r.e).toBeNull();
  expect(r.m!.apps).toEqual(m.apps);
  expect(readFileSync(join(r.dest, 'apps/shop/backup/postgres.dump')).equals(Buffer.alloc(300_000, 7))).toBe(true);
  expect(statSync(join(r.dest, 'minicloud.db')).mode & 0o777).toBe(0o600);
});

it('refuses path traversal, absolute names and hidden names', async () => {
  for (const name of ['../escape', 'apps/../../escape', '/etc/cron.d/x', 'apps/./x', '.ssh/authorized_keys', 'a\\..\\b', 'apps/shop/x y']) {
    const body = 'pwned';
    const m = manifest([{ name, body }]);
    const e = await refused(await tarGz([manifestEntry(m), file(name, body)]), /outside the archive's layout|lists a file at/);
    expect(e.message).not.toContain('undefined');
  }
  expect(existsSync(join(root, 'escape'))).toBe(false);
});

it('refuses symlinks, hard links, directories, devices and FIFOs', async () => {
  const m = manifest([{ name: 'minicloud.db', body: 'x' }]);
  for (const header of [
    { name: 'minicloud.db', type: 'symlink', linkname: '/etc/passwd' },
    { name: 'minicloud.db', type: 'link', linkname: 'manifest.json' },
    { name: 'apps', type: 'directory' },
    { name: 'dev', type: 'character-device', devmajor: 1, devminor: 3 },
    { name: 'fifo', type: 'fifo' },
  ] as Entry['header'][]) {
    await refused(await tarGz([manifestEntry(m), { header: { ...header, size: 0 } }]), new RegExp(`is a ${header.type}, and an archive holds plain files only`));
  }
});

it('refuses a foreign archive: no manifest first, another format, not JSON, not gzip, empty', async () => {
  await refused(await tarGz([file('etc/passwd', 'root:x:0:0')]), /not a minicloud server archive: its first entry is "etc\/passwd"/);
  await refused(await tarGz([file('manifest.json', JSON.stringify({ format: 'something-else' }))]), /not a minicloud server archive: .* does not say "format"/);
  await refused(await tarGz([file('manifest.json', '{ not json')]), /not a minicloud server archive: its manifest.json is not JSON/);
  await refused(Buffer.from('PK\u0003\u0004 a zip file, say'), /corrupt or not a tar.gz file/);
  await refused(await tarGz([]), /it is empty/);
});

it('refuses a newer schema or format than the code knows, with a hint to upgrade', async () => {
  const schema = await refused(await tarGz([manifestEntry(manifest([], { schemaVersion: 99 }))]), /database schema 99 \(this one knows up to 16\)/);
  expect((schema as Error & { hint?: string }).hint).toContain('upgrade minicloud');
  await refused(await tarGz([manifestEntry(manifest([], { formatVersion: FORMAT_VERSION + 1 }))]), /archive format 2/);
});

it('refuses unlisted, duplicated, resized and altered entries, and listed ones that are missing', async () => {
  const m = manifest([{ name: 'minicloud.db', body: 'abc' }]);
  await refused(await tarGz([manifestEntry(m), file('minicloud.db', 'abc'), file('extra', 'x')]), /entry extra is not listed/);
  await refused(await tarGz([manifestEntry(m), file('minicloud.db', 'abc'), file('minicloud.db', 'abc')]), /appears twice/);
  await refused(await tarGz([manifestEntry(m), file('minicloud.db', 'abcd')]), /holds 4 bytes, the manifest says 3/);
  await refused(await tarGz([manifestEntry(m), file('minicloud.db', 'abd')]), /minicloud.db is corrupted: its SHA-256/);
  await refused(await tarGz([manifestEntry(m)]), /it lacks minicloud.db/);
  // An app name that is no app name (it becomes a directory name on restore).
  await refused(await tarGz([manifestEntry({ ...m, apps: [{ name: '../x', release: null, backup: null }] })]), /invalid app name|app name/i);
});

it('refuses a truncated archive', async () => {
  const body = 'y'.repeat(200_000);
  const whole = await tarGz([manifestEntry(manifest([{ name: 'minicloud.db', body }])), file('minicloud.db', body)]);
  const dir = join(root, 'trunc');
  mkdirSync(dir);
  writeFileSync(join(dir, 'a'), whole);
  truncateSync(join(dir, 'a'), Math.floor(whole.length * 0.6));
  await refused(readFileSync(join(dir, 'a')), /truncated/);
});

it('keeps to its bounds: entries, total size, manifest size (a small archive that unpacks huge is cut)', async () => {
  const files = Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, body: 'z' }));
  await refused(await tarGz([manifestEntry(manifest(files)), ...files.map((f) => file(f.name, f.body))]), /more than 3 entries/, { maxBytes: 1e9, maxEntries: 3, maxManifestBytes: 1e6 });
  const big = '0'.repeat(5_000_000); // gzips to a few KB
  const bomb = await tarGz([manifestEntry(manifest([{ name: 'minicloud.db', body: big }])), file('minicloud.db', big)]);
  expect(bomb.length).toBeLessThan(50_000);
  await refused(bomb, /hold more than 1000000 bytes/, { maxBytes: 1_000_000, maxEntries: 10, maxManifestBytes: 1e6 });
  await refused(await tarGz([manifestEntry(manifest([], { minicloudVersion: 'v'.repeat(2000) }))]), /manifest.json is larger than 1000 bytes/, { maxBytes: 1e9, maxEntries: 10, maxManifestBytes: 1000 });
});
