// Backups off the box: each backup's parts and manifest copied to an S3-compatible bucket under
// `<prefix>/<app>/<id>/`, every object read back and its SHA-256 compared with the manifest's; the remote backups of
// an app listed from their manifests, fetched back whole (checksums checked), and deleted by the retention rules.
// The S3 SDK (~4 MB of heap, ~14 MB of minicloud's memory) is loaded when a target is first used, not at start.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { UserError } from '../core/index.ts';
import { MANIFEST, checkParts, sha256File, type Manifest } from './manifest.ts';
import type { BackupTarget } from './target.ts';

/** A backup found in the bucket: what its manifest says. */
export interface RemoteBackup {
  id: string; app: string; createdAt: string; status: string; size: number; parts: Manifest['parts'];
  /** With `verify`: every object read back; null when all match, else which differ. */
  problem?: string | null;
}

const ID = /^\d{8}T\d{9}Z-[0-9a-f]{4}$/;
const MANIFEST_LIMIT = 1024 * 1024;
/** Multipart uploads' part size: S3's minimum is 5 MiB, its maximum 10,000 parts (here: 160 GiB per file). */
const PART_BYTES = 16 * 1024 * 1024;

/** What went wrong talking to the bucket, in a sentence: the SDK's own name and message, never a key. */
function why(e: unknown): string {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = err.$metadata?.httpStatusCode;
  return `${err.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}: ${err.message ?? String(e)}`;
}

type Sdk = typeof import('@aws-sdk/client-s3') & Pick<typeof import('@aws-sdk/lib-storage'), 'Upload'>;
let sdk: Promise<Sdk> | null = null;
const loadSdk = () => (sdk ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')])
  .then(([s3, storage]) => ({ ...s3, Upload: storage.Upload })));

export class RemoteBackups {
  private readonly s3: S3Client;

  /** A client of the target's bucket (the SDK loaded on the first). */
  static async open(t: BackupTarget): Promise<RemoteBackups> {
    return new RemoteBackups(t, await loadSdk());
  }

  private constructor(private readonly t: BackupTarget, private readonly sdk: Sdk) {
    this.s3 = new sdk.S3Client({
      endpoint: t.endpoint, region: t.region, forcePathStyle: true,
      credentials: { accessKeyId: t.accessKeyId, secretAccessKey: t.secretAccessKey },
      // Many S3-compatible servers know no CRC32 trailers: minicloud checks SHA-256 by reading back instead.
      requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
    });
  }

  close(): void { this.s3.destroy(); }

  private key(...names: string[]): string {
    return [this.t.prefix, ...names].filter(Boolean).join('/');
  }

  /** Where a backup lives, for messages: `s3://bucket/prefix/app/id/`. */
  where(app: string, id: string): string { return `s3://${this.t.bucket}/${this.key(app, id)}/`; }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw new UserError(`${what} at ${this.t.url} (${this.t.endpoint}) failed: ${why(e)}`, 'check the target with `minicloud backups:target`', 502);
    }
  }

  /** The bucket answers with these keys (setting a target checks this first). */
  async check(): Promise<void> {
    await this.call('reaching the bucket', () => this.s3.send(new this.sdk.HeadBucketCommand({ Bucket: this.t.bucket })));
  }

  private async sha256Of(key: string): Promise<string> {
    const res = await this.s3.send(new this.sdk.GetObjectCommand({ Bucket: this.t.bucket, Key: key }));
    const h = createHash('sha256');
    for await (const chunk of res.Body as Readable) h.update(chunk as Buffer);
    return h.digest('hex');
  }

  /**
   * Copies the backup's parts, then its manifest (last: a backup without one is unfinished and never listed), and reads
   * every object back; returns what was checked, or throws naming the object whose checksum differs.
   */
  async upload(dir: string, m: Manifest): Promise<string> {
    const files = [...m.parts.map((p) => ({ file: p.file, sha256: p.sha256 })), { file: MANIFEST, sha256: await sha256File(join(dir, MANIFEST)) }];
    for (const f of files) {
      const key = this.key(m.app, m.id, f.file);
      // One PUT up to a part's size, a multipart upload past it (S3 takes at most 5 GB in one PUT).
      await this.call(`uploading ${f.file}`, () => new this.sdk.Upload({
        client: this.s3, partSize: PART_BYTES, queueSize: 2, leavePartsOnError: false,
        params: { Bucket: this.t.bucket, Key: key, Body: createReadStream(join(dir, f.file)), Metadata: { sha256: f.sha256 } },
      }).done());
    }
    for (const f of files) {
      const key = this.key(m.app, m.id, f.file);
      const got = await this.call(`reading back ${f.file}`, () => this.sha256Of(key));
      if (got !== f.sha256) {
        throw new UserError(`the copy of ${f.file} at s3://${this.t.bucket}/${key} is corrupted: its SHA-256 is ${got}, the backup's is ${f.sha256}`, 'the local backup is intact; check the storage provider', 502);
      }
    }
    return `copied to ${this.where(m.app, m.id)} and read back: ${files.length} objects, SHA-256 checksums match`;
  }

  private async manifest(app: string, id: string): Promise<Manifest | null> {
    const res = await this.s3.send(new this.sdk.GetObjectCommand({ Bucket: this.t.bucket, Key: this.key(app, id, MANIFEST) }))
      .catch((e: { name?: string }) => { if (e.name === 'NoSuchKey') return null; throw e; });
    if (!res) return null;
    if ((res.ContentLength ?? 0) > MANIFEST_LIMIT) return null;
    try {
      const m = JSON.parse(await res.Body!.transformToString('utf8')) as Manifest;
      return m.app === app && m.id === id && Array.isArray(m.parts) ? m : null;
    } catch {
      return null;
    }
  }

  /** The app's backups in the bucket (those whose manifest arrived), newest first. */
  async list(app: string): Promise<RemoteBackup[]> {
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.call('listing backups', () => this.s3.send(new this.sdk.ListObjectsV2Command({
        Bucket: this.t.bucket, Prefix: `${this.key(app)}/`, Delimiter: '/', ContinuationToken: token,
      })));
      for (const p of page.CommonPrefixes ?? []) {
        const id = p.Prefix?.slice(this.key(app).length + 1, -1) ?? '';
        if (ID.test(id)) ids.push(id);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    const found: RemoteBackup[] = [];
    for (const id of ids) {
      const m = await this.manifest(app, id).catch(() => null); // unfinished (no manifest yet) or not minicloud's
      if (!m) continue;
      found.push({ id, app, createdAt: m.createdAt, status: m.status ?? 'unverified', size: m.parts.reduce((s, p) => s + p.size, 0), parts: m.parts });
    }
    return found.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** Reads every object of a listed backup back: null when each matches its manifest, else what differs. */
  async verify(b: RemoteBackup): Promise<string | null> {
    const bad: string[] = [];
    for (const p of b.parts) {
      const key = this.key(b.app, b.id, p.file);
      const got = await this.sha256Of(key).catch((e: unknown) => `unreadable (${why(e)})`);
      if (got !== p.sha256) bad.push(`${p.file} is corrupted or missing: its SHA-256 is ${got}, the manifest says ${p.sha256}`);
    }
    return bad.length ? bad.join('; ') : null;
  }

  /** Downloads one backup into `dir` (made here) and checks every part against the manifest; removes `dir` on failure. */
  async fetch(app: string, id: string, dir: string): Promise<Manifest> {
    const m = await this.call(`reading the manifest of ${id}`, () => this.manifest(app, id));
    if (!m) throw new UserError(`${this.where(app, id)} holds no manifest of ${app}'s backup ${id}`, `see \`minicloud backups:remote ${app}\``, 404);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      for (const f of [...m.parts.map((p) => p.file), MANIFEST]) {
        if (f.includes('/') || f.startsWith('.')) throw new UserError(`the manifest of ${id} names a file ${JSON.stringify(f)} minicloud never writes`, undefined, 502);
        await this.call(`downloading ${f}`, async () => {
          const res = await this.s3.send(new this.sdk.GetObjectCommand({ Bucket: this.t.bucket, Key: this.key(app, id, f) }));
          await pipeline(res.Body as Readable, createWriteStream(join(dir, f), { mode: 0o600, flags: 'wx' }));
        });
      }
      const parsed = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest;
      await checkParts(dir, { id, parts: parsed.parts.map((p) => ({ ...p, restoredRows: null, verified: false, reason: '' })) });
      return parsed;
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Deletes backups from the bucket, every object under each one's key. */
  async remove(app: string, ids: string[]): Promise<void> {
    for (const id of ids) {
      const listed = await this.call('listing a backup to delete', () => this.s3.send(new this.sdk.ListObjectsV2Command({ Bucket: this.t.bucket, Prefix: `${this.key(app, id)}/` })));
      const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
      // The manifest first: a half-deleted backup is never listed as whole.
      const ordered = [...keys.filter((k) => k.Key.endsWith(`/${MANIFEST}`)), ...keys.filter((k) => !k.Key.endsWith(`/${MANIFEST}`))];
      for (const k of ordered) {
        await this.call(`deleting ${k.Key}`, () => this.s3.send(new this.sdk.DeleteObjectCommand({ Bucket: this.t.bucket, Key: k.Key })));
      }
    }
  }
}
