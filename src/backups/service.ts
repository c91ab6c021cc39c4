// Backups of an app: dump and archive each part, verify it by restoring into scratch, restore it on demand.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, UserError, type Logger } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import type { Backup, BackupPart } from '../store/backups.ts';
import { type Conn, parseUrl } from './conn.ts';
import { adoptLeftBehind } from './left-behind.ts';
import { checkParts, manifestOf, sha256File, writeManifest } from './manifest.ts';
import { myCheckUsers, myDump, myRestore, myVerify } from './mariadb.ts';
import { pgCheckRoles, pgDump, pgRestore, pgVerify } from './postgres.ts';
import type { OffBox } from './offbox.ts';
import { toPrune } from './policy.ts';
import { archive, extract } from './volumes.ts';

export interface BackupsDeps {
  store: Store;
  /** `<data>/backups`. */
  dir: string;
  /** Where MINICLOUD_POSTGRES_URL and MINICLOUD_MARIADB_URL come from (scratch databases, restores). */
  env: NodeJS.ProcessEnv;
  /** An app's volumes and their directories on the host. */
  volumes: (app: string) => Array<{ path: string; hostDir: string }>;
  /** Restarts the app after a restore (null when it has no release yet). */
  restart: (app: string) => Promise<{ status: string; error: string | null } | null>;
  /** The operator's log: each backup's outcome, each restore. */
  log?: Logger;
  /** Told each backup's outcome (the alerts: a failed one, then a good one again). */
  finished?: (b: Backup) => void;
  /** Refuses to start a backup below the free-space floor (MINICLOUD_MIN_FREE), saying how much is free. */
  checkFreeSpace?: (what: string) => void;
  /** The off-box target (S3), when the server has one set: each backup is copied there and read back. */
  offBox?: OffBox;
  /** Pauses the app's database services while its volumes are copied; resolves to what resumes them. */
  freeze?: (app: string) => Promise<() => Promise<void>>;
}

type DbKind = 'postgres' | 'mariadb';
const DB_KINDS: Record<DbKind, { file: string; port: number; variable: string }> = {
  postgres: { file: 'postgres.dump', port: 5432, variable: 'MINICLOUD_POSTGRES_URL' },
  mariadb: { file: 'mariadb.sql', port: 3306, variable: 'MINICLOUD_MARIADB_URL' },
};
const isDb = (k: string): k is DbKind => Object.hasOwn(DB_KINDS, k);

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace('.', '');
const volumeFile = (path: string) => `volume${path.replace(/[^a-zA-Z0-9]+/g, '-')}.tar.gz`;

/** The difference between the source's and the scratch restore's row counts, or null when they agree. */
export function compareCounts(source: Record<string, number>, restored: Record<string, number>): string | null {
  const diffs: string[] = [];
  for (const [t, n] of Object.entries(source)) {
    if (!(t in restored)) diffs.push(`table ${t} is missing after the restore`);
    else if (restored[t] !== n) diffs.push(`table ${t}: ${n} rows in the source, ${restored[t]} restored`);
  }
  for (const t of Object.keys(restored)) if (!(t in source)) diffs.push(`table ${t} appeared in the restore only`);
  return diffs.length ? diffs.join('; ') : null;
}

export class BackupsService {
  private readonly busy = new Set<string>();

  constructor(private readonly d: BackupsDeps) {}

  list(app: string): Backup[] {
    const name = this.d.store.apps.require(app).name;
    adoptLeftBehind(this.d.store, this.d.dir, name);
    return this.d.store.backups.list(name);
  }

  get(app: string, id: string): Backup {
    adoptLeftBehind(this.d.store, this.d.dir, this.d.store.apps.require(app).name);
    const b = this.d.store.backups.get(id);
    if (!b || b.app !== this.d.store.apps.require(app).name) throw new NotFoundError(`${app} has no backup ${id}`, `see \`minicloud backups ${app}\``);
    return b;
  }

  /** The backup on this disk, else fetched from the off-box target (a fresh server restoring from the bucket). */
  async here(appName: string, id: string): Promise<Backup> {
    const app = this.d.store.apps.require(appName).name;
    if (this.d.offBox?.target() && !this.d.store.backups.get(id)) {
      if (!/^\d{8}T\d{9}Z-[0-9a-f]{4}$/.test(id)) throw new UserError(`${JSON.stringify(id)} is not a backup id`, `see \`minicloud backups:remote ${app}\``);
      await this.exclusive(app, () => this.d.offBox!.fetchInto(this.d.store, this.d.dir, app, id));
    }
    return this.get(app, id);
  }

  private admin(kind: DbKind): Conn | null {
    const raw = this.d.env[DB_KINDS[kind].variable]?.trim();
    if (!raw) return null;
    try { return parseUrl(raw, DB_KINDS[kind].port); } catch { return null; }
  }

  /** A scratch restore as the app's own user; then every add-on user of that server is checked to be an ordinary one. */
  private async verify(kind: DbKind, admin: Conn, app: Conn, file: string): Promise<Record<string, number>> {
    try {
      return kind === 'postgres' ? await pgVerify(admin, app, file) : await myVerify(admin, app, file);
    } finally {
      await this.checkUsers(kind, admin);
    }
  }

  private async checkUsers(kind: DbKind, admin: Conn): Promise<void> {
    const users = this.d.store.apps.list().flatMap((a) => this.d.store.addons.list(a.name))
      .filter((a) => a.kind === kind && a.credentials.url)
      .map((a) => parseUrl(a.credentials.url!, DB_KINDS[kind].port).user);
    if (kind === 'postgres') await pgCheckRoles(admin, users);
    else await myCheckUsers(admin, users);
  }

  private async exclusive<T>(app: string, fn: () => Promise<T>): Promise<T> {
    if (this.busy.has(app)) throw new UserError(`a backup or restore of ${app} is already running`, 'wait for it to finish', 409);
    this.busy.add(app);
    try { return await fn(); } finally { this.busy.delete(app); }
  }

  /** Makes a backup; a failing one is recorded as failed (with why) and leaves every other backup alone. */
  async create(appName: string, trigger: Backup['trigger'] = 'manual'): Promise<Backup> {
    const app = this.d.store.apps.require(appName).name;
    this.d.checkFreeSpace?.(`a backup of ${app}`);
    return this.exclusive(app, async () => {
      const now = new Date();
      const id = `${stamp(now)}-${randomBytes(2).toString('hex')}`;
      const dir = join(this.d.dir, app, id);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
      let b = this.d.store.backups.add({
        id, app, createdAt: now.toISOString(), finishedAt: null, status: 'running', size: 0, dir, parts: [], notes: [], error: null, trigger,
      });
      const parts: BackupPart[] = [];
      const notes: string[] = [];
      const errors: string[] = [];
      let unverifiable = false;
      for (const addon of this.d.store.addons.list(app)) {
        if (!isDb(addon.kind)) {
          notes.push(`${addon.kind} add-on skipped: it holds no durable data minicloud backs up`);
          continue;
        }
        const kind = addon.kind;
        const file = DB_KINDS[kind].file;
        try {
          const conn = parseUrl(addon.credentials.url!, DB_KINDS[kind].port);
          const rows = kind === 'postgres' ? await pgDump(conn, join(dir, file)) : await myDump(conn, join(dir, file));
          const part = await this.described({ name: kind, kind, file, rows, tables: Object.keys(rows).length }, dir);
          const admin = this.admin(kind);
          if (!admin) {
            unverifiable = true;
            part.reason = `not verified: ${DB_KINDS[kind].variable} is not set, so no scratch database can be made`;
          } else {
            try {
              const restored = await this.verify(kind, admin, conn, join(dir, file));
              part.restoredRows = restored;
              const diff = compareCounts(rows, restored);
              part.verified = diff === null;
              part.reason = diff ?? `restored into a scratch database: ${part.tables} tables, ${sum(restored)} rows, all counts match`;
            } catch (e) {
              part.reason = `the scratch restore failed: ${(e as Error).message}`;
            }
          }
          if (!part.verified && admin) errors.push(`${kind}: ${part.reason}`);
          parts.push(part);
        } catch (e) {
          errors.push(`${kind}: ${(e as Error).message}`);
        }
      }
      await this.volumeParts(app, dir, parts, errors);
      if (parts.length === 0 && errors.length === 0) errors.push(`${app} has no database add-on and no storage to back up`);
      const size = parts.reduce((s, p) => s + p.size, 0);
      const status = errors.length ? 'failed' : unverifiable ? 'unverified' : 'good';
      writeManifest(dir, { app, id, createdAt: b.createdAt, parts, status });
      const copied = status === 'failed' ? null : await this.d.offBox?.copy(dir, manifestOf({ app, id, createdAt: b.createdAt, parts, status }));
      if (copied && 'note' in copied) notes.push(copied.note);
      if (copied && 'error' in copied) errors.push(copied.error);
      b = this.d.store.backups.update(id, { finishedAt: new Date().toISOString(), status, size, parts, notes, error: errors.length ? errors.join('; ') : null });
      this.d.log?.[b.error ? 'warn' : 'info'](`${app}: backup ${id} ${status}${b.error ? `: ${b.error}` : ''}`);
      // A backup kept here only is a failure the operator hears of: the disk that dies takes it along.
      this.d.finished?.(copied && 'error' in copied ? { ...b, status: 'failed' } : b);
      return b;
    });
  }

  /** Each storage volume as a verified archive part, the app's database services paused meanwhile. */
  private async volumeParts(app: string, dir: string, parts: BackupPart[], errors: string[]): Promise<void> {
    const volumes = this.d.volumes(app);
    // A database writing its files while tar reads them makes a copy it cannot start from (or a failed tar).
    const thaw = volumes.length ? await this.d.freeze?.(app).catch((e: Error) => { errors.push(`pausing the database services: ${e.message}`); }) : undefined;
    try {
      for (const v of volumes) {
        const file = volumeFile(v.path);
        try {
          const n = await archive(v.hostDir, join(dir, file));
          const part = await this.described({ name: `volume ${v.path}`, kind: 'volume', file, path: v.path, rows: null, tables: n }, dir);
          part.verified = true; // archive() listed it back (tar -tzf checks every gzip block)
          part.reason = `archive reads back whole: ${n} entries`;
          parts.push(part);
        } catch (e) {
          errors.push(`volume ${v.path}: ${(e as Error).message}`);
        }
      }
    } finally {
      await thaw?.();
    }
  }

  private async described(p: Omit<BackupPart, 'size' | 'sha256' | 'verified' | 'reason' | 'restoredRows'>, dir: string): Promise<BackupPart> {
    const file = join(dir, p.file);
    chmodSync(file, 0o600);
    return { ...p, size: statSync(file).size, sha256: await sha256File(file), restoredRows: null, verified: false, reason: '' };
  }

  /** Checks every part's checksum (refusing, untouched, on any mismatch), restores them all, restarts the app. */
  async restore(appName: string, id: string): Promise<{ backup: Backup; restored: string[]; deploy: { status: string; error: string | null } | null }> {
    const b = await this.here(appName, id);
    const app = b.app;
    return this.exclusive(app, async () => {
      if (b.status === 'running') throw new UserError(`backup ${id} is not finished`, 'wait for it', 409);
      if (b.status === 'failed') throw new UserError(`backup ${id} failed (${b.error ?? 'no reason recorded'}) and cannot be restored`, `pick a good one from \`minicloud backups ${app}\``, 409);
      await checkParts(b.dir, b);
      // Where each part goes, all settled before anything is touched.
      const addons = this.d.store.addons.list(app);
      const volumes = this.d.volumes(app);
      const plan = b.parts.map((p) => {
        if (p.kind === 'volume') {
          const v = volumes.find((x) => x.path === p.path);
          if (!v) throw new UserError(`${app} no longer has storage at ${p.path}; nothing was restored`, `add it back with \`minicloud storage:add ${app} ${p.path}\``, 409);
          return { p, target: v.hostDir };
        }
        const addon = addons.find((a) => a.kind === p.kind);
        if (!addon?.credentials.url) throw new UserError(`${app} no longer has a ${p.kind} add-on; nothing was restored`, `add one with \`minicloud addons:create ${app} ${p.kind}\``, 409);
        const admin = this.admin(p.kind);
        if (!admin) throw new UserError(`${DB_KINDS[p.kind].variable} is not set; nothing was restored`, 'restores recreate the database with the admin URL', 503);
        return { p, target: addon.credentials.url, admin };
      });
      const restored: string[] = [];
      for (const { p, target, admin } of plan) {
        const file = join(b.dir, p.file);
        try {
          if (p.kind === 'volume') await extract(file, target);
          else if (p.kind === 'postgres') await pgRestore(admin!, parseUrl(target, 5432), file).finally(() => this.checkUsers('postgres', admin!));
          else await myRestore(admin!, parseUrl(target, 3306), file).finally(() => this.checkUsers('mariadb', admin!));
        } catch (e) {
          throw new UserError(`restoring ${p.name} from backup ${id} failed: ${(e as Error).message}`,
            restored.length ? `already restored: ${restored.join(', ')}` : undefined, 500);
        }
        restored.push(p.name);
      }
      const deploy = this.d.store.apps.require(app).currentRelease ? await this.d.restart(app) : null;
      this.d.log?.info(`${app}: restored backup ${id} (${restored.join(', ')})`);
      return { backup: b, restored, deploy };
    });
  }

  /** The off-box target's handle (null when this server was made without one, as in unit tests). */
  offBox(): OffBox | null { return this.d.offBox ?? null; }

  /** The retention rules applied to the off-box copies too; returns the ids deleted there. */
  pruneRemote(app: string, keep: number): Promise<string[]> {
    return this.d.offBox ? this.d.offBox.prune(app, keep) : Promise.resolve([]);
  }

  /** Deletes the backups beyond `keep` (see toPrune), files and records; returns their ids. */
  prune(app: string, keep: number): string[] {
    const all = this.d.store.backups.list(app);
    const gone = toPrune(all, keep);
    for (const id of gone) {
      const b = all.find((x) => x.id === id)!;
      if (existsSync(b.dir) && b.dir.startsWith(join(this.d.dir, app))) rmSync(b.dir, { recursive: true, force: true });
      this.d.store.backups.delete(id);
    }
    return gone;
  }
}

const sum = (rows: Record<string, number>) => Object.values(rows).reduce((a, b) => a + b, 0);
