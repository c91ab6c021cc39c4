// `minicloud backup`: minicloud's own state in one archive. Staged under `<data>/moves/` first (so a failure answers
// with an error, not half a file): the database through SQLite's backup API, certificates and keys, the installer's
// settings, and per app a fresh verified backup of its databases and storage plus a git bundle of its repository.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Writable } from 'node:stream';
import { UserError, type Logger } from '../core/index.ts';
import { SCHEMA_VERSION, type Store } from '../store/index.ts';
import type { BackupsService } from './service.ts';
import { describeFiles, safeName, writeServerArchive } from './server-archive.ts';
import { FORMAT, FORMAT_VERSION, type ArchivedApp, type ServerManifest } from './server-manifest.ts';

export interface ServerMovesPaths {
  /** The data directory: settings.env (the installer's) is read from it. */
  dataDir: string;
  certs: string;
  /** Where archives are staged and uploads unpacked: `<data>/moves`. */
  staging: string;
}

export interface ServerBackupDeps {
  store: Store;
  backups: BackupsService;
  paths: ServerMovesPaths;
  /** package.json's version, written into the manifest. */
  version: string;
  /** An app's bare git repository. */
  repoDir: (app: string) => string;
  log?: Logger;
}

/** Database add-ons and storage are what an app backup holds; an app with neither needs none. */
const hasData = (store: Store, app: string) =>
  store.addons.list(app).some((a) => a.kind === 'postgres' || a.kind === 'mariadb') || store.volumes.list(app).length > 0;

const DAY_MS = 24 * 3600_000;

/** Makes the staging directory, and removes what a crashed backup or restore left there more than a day ago. */
export function sweepStaging(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    try { if (Date.now() - lstatSync(p).mtimeMs > DAY_MS) rmSync(p, { recursive: true, force: true }); } catch { /* gone meanwhile */ }
  }
}

/** Stages everything, then returns a writer of the archive (the caller picks when to start answering). */
export async function stageServerArchive(d: ServerBackupDeps): Promise<{ manifest: ServerManifest; write: (out: Writable) => Promise<void>; discard: () => void }> {
  sweepStaging(d.paths.staging);
  const stage = mkdtempSync(join(d.paths.staging, 'backup-'));
  const discard = () => rmSync(stage, { recursive: true, force: true });
  try {
    const createdAt = new Date().toISOString();
    copyTree(d.paths.certs, join(stage, 'certs'));
    const settings = join(d.paths.dataDir, 'settings.env');
    if (existsSync(settings) && lstatSync(settings).isFile()) place(settings, join(stage, 'settings.env'));
    const apps: ArchivedApp[] = [];
    for (const app of d.store.apps.list()) {
      const dir = join(stage, 'apps', app.name);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      let backup: string | null = null;
      if (hasData(d.store, app.name)) {
        const b = await d.backups.create(app.name);
        if (b.status === 'failed') {
          throw new UserError(`backing up ${app.name} failed: ${b.error ?? 'no reason recorded'}; no archive was written`,
            `fix that (see \`minicloud backups ${app.name}\`), then run \`minicloud backup\` again`, 500);
        }
        copyTree(b.dir, join(dir, 'backup'));
        backup = b.id;
      }
      bundle(d.repoDir(app.name), join(dir, 'repo.bundle'));
      apps.push({ name: app.name, release: app.currentRelease, backup });
    }
    // After the apps' backups, so it holds their records.
    await d.store.db.backup(join(stage, 'minicloud.db'));
    chmodSync(join(stage, 'minicloud.db'), 0o600);
    const manifest: ServerManifest = {
      format: FORMAT, formatVersion: FORMAT_VERSION, minicloudVersion: d.version, schemaVersion: SCHEMA_VERSION, createdAt, apps,
      files: await describeFiles(stage),
    };
    d.log?.info(`server backup staged: ${apps.length} app(s), ${manifest.files.length} files, ${manifest.files.reduce((s, f) => s + f.size, 0)} bytes`);
    return { manifest, write: (out) => writeServerArchive(stage, manifest, out), discard };
  } catch (e) {
    discard();
    throw e;
  }
}

/** A hard link where it can (the same file system), else a copy; 0600 either way. */
function place(from: string, to: string): void {
  try { linkSync(from, to); } catch { copyFileSync(from, to); }
  chmodSync(to, 0o600);
}

/** The regular files under `from` whose names the archive reader accepts (links and odd names are left out). */
function copyTree(from: string, to: string): void {
  if (!existsSync(from)) return;
  const walk = (dir: string) => {
    for (const n of readdirSync(dir)) {
      const p = join(dir, n);
      const rel = relative(from, p);
      if (!safeName(rel)) continue;
      const s = lstatSync(p);
      if (s.isDirectory()) walk(p);
      else if (s.isFile()) {
        mkdirSync(join(to, relative(from, dir)), { recursive: true, mode: 0o700 });
        place(p, join(to, rel));
      }
    }
  };
  walk(from);
}

/** Every ref of the app's repository in one file (`git bundle`); none when nothing was pushed. */
function bundle(repo: string, file: string): void {
  if (!existsSync(repo)) return;
  const refs = spawnSync('git', ['-C', repo, 'for-each-ref', '--count=1'], { encoding: 'utf8' });
  if (refs.status !== 0 || !refs.stdout.trim()) return;
  const r = spawnSync('git', ['-C', repo, 'bundle', 'create', '--quiet', file, '--all'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git bundle of ${repo} failed: ${r.stderr.trim().slice(0, 300)}`);
  chmodSync(file, 0o600);
}
