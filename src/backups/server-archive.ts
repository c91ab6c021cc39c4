// The server archive as a file: a tar.gz whose first entry is manifest.json, then the files it lists. Writing it from a
// staged directory, and reading one back as untrusted input: plain files only, at names of a few safe segments, each
// listed in the manifest with its size and checksum, within size and count bounds. A bad archive changes nothing.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { extract, pack } from 'tar-stream';
import { UserError, isUserError } from '../core/index.ts';
import { sha256File } from './manifest.ts';
import { MANIFEST_FILE, parseManifest, type ArchivedFile, type ServerManifest } from './server-manifest.ts';

export interface ReadLimits {
  /** All files together, unpacked. */
  maxBytes: number;
  maxEntries: number;
  maxManifestBytes: number;
}

export const DEFAULT_LIMITS: ReadLimits = { maxBytes: 64 * 1024 ** 3, maxEntries: 100_000, maxManifestBytes: 4 * 1024 * 1024 };

// Letters, digits, `_`, `.`, `-`; never starting with a dot (so never `.` or `..`); at most 5 deep.
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export function safeName(name: string): boolean {
  const parts = name.split('/');
  return name.length <= 512 && parts.length <= 5 && parts.every((p) => SEGMENT.test(p));
}

/** Every regular file under `dir`, with its size and SHA-256, by relative name. */
export async function describeFiles(dir: string): Promise<ArchivedFile[]> {
  const out: ArchivedFile[] = [];
  const walk = async (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const s = lstatSync(p);
      if (s.isDirectory()) await walk(p);
      else if (s.isFile()) out.push({ name: relative(dir, p), size: s.size, sha256: await sha256File(p) });
    }
  };
  await walk(dir);
  return out;
}

/** Writes the archive: manifest.json first (a reader refuses a foreign file at once), then each listed file. */
export async function writeServerArchive(dir: string, manifest: ServerManifest, out: Writable): Promise<void> {
  const tar = pack();
  const mtime = new Date(manifest.createdAt);
  const feed = (async () => {
    const text = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    await new Promise<void>((resolve, reject) => tar.entry({ name: MANIFEST_FILE, size: text.length, mode: 0o600, mtime }, text, (e) => (e ? reject(e) : resolve())));
    for (const f of manifest.files) {
      const entry = tar.entry({ name: f.name, size: f.size, mode: 0o600, mtime });
      await pipeline(createReadStream(join(dir, f.name)), entry);
    }
    tar.finalize();
  })();
  feed.catch((e: unknown) => tar.destroy(e as Error));
  await Promise.all([feed, pipeline(tar, createGzip(), out)]);
}

const refuse = (why: string) => new UserError(`the archive cannot be restored: ${why}; nothing was changed`,
  'make a new one with `minicloud backup <file>` on the old server, and copy it whole (its size and `sha256sum` should match)');

/**
 * Unpacks `file` into `dest` (made here, removed again on any refusal) and returns its checked manifest. Throws a
 * UserError for anything but a whole, unaltered minicloud archive this code can read.
 */
export async function readServerArchive(file: string, dest: string, known: { schemaVersion: number }, limits: ReadLimits = DEFAULT_LIMITS): Promise<ServerManifest> {
  mkdirSync(dest, { recursive: true, mode: 0o700 });
  try {
    return await unpack(file, dest, known, limits);
  } catch (e) {
    rmSync(dest, { recursive: true, force: true });
    if (isUserError(e)) throw e;
    const msg = (e as Error).message;
    if (/unexpected end|end of data|premature|Z_BUF_ERROR/i.test(msg)) throw refuse('it is truncated (it ends before its last file)');
    if (/incorrect header check|invalid (tar|block|distance|code|stored)|header/i.test(msg)) throw refuse(`it is corrupt or not a tar.gz file (${msg.slice(0, 100)})`);
    throw refuse(`it could not be read: ${msg.slice(0, 200)}`);
  }
}

async function unpack(file: string, dest: string, known: { schemaVersion: number }, limits: ReadLimits): Promise<ServerManifest> {
  const ex = extract();
  const reading = pipeline(createReadStream(file), createGunzip(), ex);
  reading.catch(() => {}); // its error surfaces through the iteration below
  let manifest: ServerManifest | null = null;
  let listed = new Map<string, ArchivedFile>();
  const seen = new Set<string>();
  let total = 0;
  let count = 0;
  for await (const entry of ex) {
    const h = entry.header;
    const name = String(h.name);
    const size = h.size ?? 0;
    if (++count > limits.maxEntries) throw refuse(`it holds more than ${limits.maxEntries} entries`);
    if (h.type !== 'file') throw refuse(`entry ${JSON.stringify(name.slice(0, 100))} is a ${h.type}, and an archive holds plain files only`);
    if (!safeName(name)) throw refuse(`entry ${JSON.stringify(name.slice(0, 100))} has a name outside the archive's layout (absolute, \`..\`, hidden or odd characters)`);
    if (manifest === null) {
      if (name !== MANIFEST_FILE) throw new UserError(`this is not a minicloud server archive: its first entry is ${JSON.stringify(name.slice(0, 100))}, not ${MANIFEST_FILE}; nothing was changed`, 'give the file `minicloud backup <file>` wrote');
      if (size > limits.maxManifestBytes) throw refuse(`its ${MANIFEST_FILE} is larger than ${limits.maxManifestBytes} bytes`);
      manifest = parseManifest((await bounded(entry, limits.maxManifestBytes)).toString('utf8'), known);
      for (const f of manifest.files) if (!safeName(f.name) || f.name === MANIFEST_FILE) throw refuse(`its ${MANIFEST_FILE} lists a file at ${JSON.stringify(f.name.slice(0, 100))}`);
      listed = new Map(manifest.files.map((f) => [f.name, f]));
      continue;
    }
    const want = listed.get(name);
    if (!want) throw refuse(`entry ${name} is not listed in its ${MANIFEST_FILE}`);
    if (seen.has(name)) throw refuse(`entry ${name} appears twice`);
    seen.add(name);
    if (size !== want.size) throw refuse(`entry ${name} holds ${size} bytes, the manifest says ${want.size}`);
    total += size;
    if (total > limits.maxBytes) throw refuse(`its files hold more than ${limits.maxBytes} bytes`);
    const target = join(dest, name);
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    const hash = createHash('sha256');
    let got = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        got += chunk.length;
        if (got > size) return cb(refuse(`entry ${name} is longer than its header says`));
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    // `wx`: the file must be new; nothing in dest but what this loop made, so no link can stand in its way.
    await pipeline(entry, counter, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
    const sum = hash.digest('hex');
    if (got !== size) throw refuse(`entry ${name} is truncated`);
    if (sum !== want.sha256) throw refuse(`entry ${name} is corrupted: its SHA-256 is ${sum}, the manifest says ${want.sha256}`);
  }
  await reading;
  if (manifest === null) throw new UserError(`this is not a minicloud server archive: it is empty; nothing was changed`, 'give the file `minicloud backup <file>` wrote');
  const missing = manifest.files.filter((f) => !seen.has(f.name)).map((f) => f.name);
  if (missing.length) throw refuse(`it lacks ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} (truncated?)`);
  return manifest;
}

async function bounded(stream: AsyncIterable<unknown>, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    n += (c as Buffer).length;
    if (n > max) throw refuse(`its ${MANIFEST_FILE} is larger than ${max} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}
