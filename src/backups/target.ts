// The off-box backup target: an S3-compatible bucket and prefix with its endpoint and keys, parsed from the operator's
// input and kept in `<data>/backup-target.json`, mode 0600 like the state database (the secret key is in it).
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { UserError, type BackupTargetInfo } from '../core/index.ts';

export interface BackupTarget {
  /** `s3://bucket/prefix` as the operator gave it (the prefix may be empty). */
  url: string;
  bucket: string;
  prefix: string;
  /** The S3 API's base URL (`https://s3.eu-central-1.amazonaws.com`, a MinIO or Garage server, …). */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** What GET /api/backups/target shows: never the secret key, and only the access key's first characters. */
export const viewOf = (t: BackupTarget): BackupTargetInfo => ({
  url: t.url, endpoint: t.endpoint, region: t.region, accessKeyId: `${t.accessKeyId.slice(0, 4)}…`,
});

// S3's bucket naming rules (3-63 lower-case letters, digits, dots, hyphens); a prefix of safe key characters.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^[A-Za-z0-9._/-]{0,200}$/;
const KEY = /^[\x21-\x7e]{1,256}$/;

/** `s3://bucket/some/prefix` → bucket and prefix (no slashes at its ends). */
export function parseTargetUrl(raw: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(raw.trim());
  const hint = 'e.g. `minicloud backups:target s3://my-bucket/minicloud --endpoint https://s3.eu-central-1.amazonaws.com`';
  if (!m) throw new UserError(`${JSON.stringify(raw)} is not an s3://bucket/prefix URL`, hint);
  const bucket = m[1]!;
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (!BUCKET.test(bucket)) throw new UserError(`${JSON.stringify(bucket)} is not a valid bucket name (3-63 lower-case letters, digits, dots, hyphens)`, hint);
  if (!PREFIX.test(prefix) || (prefix !== '' && prefix.split('/').some((s) => s === '..' || s === '.' || s === ''))) {
    throw new UserError(`${JSON.stringify(prefix)} is not a valid prefix (letters, digits, . _ - and / between names)`, hint);
  }
  return { bucket, prefix };
}

/** The body of PUT /api/backups/target, checked: a clear error for each field that is wrong. */
export function parseTargetInput(body: unknown): BackupTarget {
  const b = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const str = (k: string) => (typeof b[k] === 'string' ? (b[k] as string).trim() : '');
  const url = str('url');
  const { bucket, prefix } = parseTargetUrl(url);
  const endpoint = str('endpoint');
  let parsed: URL;
  try { parsed = new URL(endpoint); } catch {
    throw new UserError(`endpoint ${JSON.stringify(endpoint)} is not a URL`, 'pass --endpoint https://… (the S3 API of your provider)');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new UserError(`endpoint ${endpoint} is not http(s)`, 'pass --endpoint https://…');
  if (parsed.username || parsed.password) throw new UserError('the endpoint may not carry credentials', 'give the keys on standard input or in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY');
  const region = str('region') || 'us-east-1';
  if (!/^[a-z0-9-]{1,40}$/.test(region)) throw new UserError(`region ${JSON.stringify(region)} is not valid`, 'e.g. us-east-1, eu-central-1, auto');
  const accessKeyId = str('accessKeyId');
  const secretAccessKey = str('secretAccessKey');
  if (!KEY.test(accessKeyId) || !KEY.test(secretAccessKey)) {
    throw new UserError('an access key id and a secret access key are needed (printable, no spaces)', 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pipe them with --keys-stdin');
  }
  return { url: `s3://${bucket}${prefix ? `/${prefix}` : ''}`, bucket, prefix, endpoint: parsed.toString().replace(/\/$/, ''), region, accessKeyId, secretAccessKey };
}

/** The target kept in one file: read when asked, so a change is seen by the next backup. */
export class TargetFile {
  constructor(private readonly file: string) {}

  get(): BackupTarget | null {
    if (!existsSync(this.file)) return null;
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as BackupTarget;
    } catch {
      throw new UserError(`${this.file} is not valid JSON`, 'set the target again with `minicloud backups:target`', 500);
    }
  }

  set(t: BackupTarget): void {
    const partial = `${this.file}.partial`;
    rmSync(partial, { force: true });
    writeFileSync(partial, `${JSON.stringify(t, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(partial, 0o600);
    renameSync(partial, this.file);
  }

  remove(): boolean {
    const had = existsSync(this.file);
    rmSync(this.file, { force: true });
    return had;
  }
}
