// The manifest.json of a server archive (`minicloud backup`): what made it, the schema of its database, its apps,
// and every file with its size and SHA-256. Read back from an untrusted file: every field is checked here.
import { UserError, validateAppName } from '../core/index.ts';

export const FORMAT = 'minicloud-server-archive';
/** Bumped when the archive's layout changes in a way an older minicloud cannot read. */
export const FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';

export interface ArchivedApp {
  name: string;
  /** The current release when the archive was made, and the commit or image it ran. */
  release: number | null;
  /** The app's backup inside the archive (`apps/<app>/backup/`), null when it has no databases or storage. */
  backup: string | null;
}

export interface ArchivedFile { name: string; size: number; sha256: string }

export interface ServerManifest {
  format: typeof FORMAT;
  formatVersion: number;
  minicloudVersion: string;
  /** The database's schema version (store/db.ts MIGRATIONS). */
  schemaVersion: number;
  createdAt: string;
  apps: ArchivedApp[];
  files: ArchivedFile[];
}

const foreign = (why: string) => new UserError(`this is not a minicloud server archive: ${why}; nothing was changed`,
  'give the file `minicloud backup <file>` wrote');

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Parses and checks a manifest; refuses a newer format or schema than this code knows, with what to do. */
export function parseManifest(text: string, known: { schemaVersion: number }): ServerManifest {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw foreign(`its ${MANIFEST_FILE} is not JSON`);
  }
  if (!m || typeof m !== 'object' || m.format !== FORMAT) throw foreign(`its ${MANIFEST_FILE} does not say "format": "${FORMAT}"`);
  if (!isInt(m.formatVersion) || !isInt(m.schemaVersion) || typeof m.minicloudVersion !== 'string' || typeof m.createdAt !== 'string') {
    throw foreign(`its ${MANIFEST_FILE} lacks formatVersion, schemaVersion, minicloudVersion or createdAt`);
  }
  const newer = (what: string) => new UserError(
    `this archive was written by minicloud ${String(m.minicloudVersion).slice(0, 40)} with ${what}, newer than this minicloud knows; nothing was changed`,
    'upgrade minicloud on this server to that version or later (`minicloud upgrade`, or re-run the installer), then restore again');
  if (m.formatVersion > FORMAT_VERSION) throw newer(`archive format ${m.formatVersion} (this one reads up to ${FORMAT_VERSION})`);
  if (m.schemaVersion > known.schemaVersion) throw newer(`database schema ${m.schemaVersion} (this one knows up to ${known.schemaVersion})`);
  if (!Array.isArray(m.apps) || !Array.isArray(m.files)) throw foreign(`its ${MANIFEST_FILE} lists no apps or files`);
  const apps = m.apps.map((a: unknown): ArchivedApp => {
    const o = (a ?? {}) as Record<string, unknown>;
    if (o.release !== null && !isInt(o.release)) throw foreign(`app ${String(o.name).slice(0, 80)} has a bad release`);
    if (o.backup !== null && (typeof o.backup !== 'string' || !/^[0-9A-Za-z-]{1,64}$/.test(o.backup))) throw foreign(`app ${String(o.name).slice(0, 80)} has a bad backup id`);
    let name: string;
    try { name = validateAppName(o.name); } catch { throw foreign(`it lists an app named ${JSON.stringify(String(o.name).slice(0, 80))}, which is no app name`); }
    return { name, release: o.release as number | null, backup: o.backup as string | null };
  });
  const files = m.files.map((f: unknown): ArchivedFile => {
    const o = (f ?? {}) as Record<string, unknown>;
    if (typeof o.name !== 'string' || !isInt(o.size) || typeof o.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(o.sha256)) throw foreign('a file entry is malformed');
    return { name: o.name, size: o.size, sha256: o.sha256 };
  });
  return { format: FORMAT, formatVersion: m.formatVersion, minicloudVersion: m.minicloudVersion, schemaVersion: m.schemaVersion, createdAt: m.createdAt, apps, files };
}
