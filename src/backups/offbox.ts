// What the backups service asks of the off-box target: copy a finished backup there (read back and checked), list an
// app's remote backups, fetch one back onto this disk as a recorded backup, apply the retention rules there too.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import { adoptLeftBehind } from './left-behind.ts';
import { MANIFEST, type Manifest } from './manifest.ts';
import { toPrune } from './policy.ts';
import { RemoteBackups, type RemoteBackup } from './remote.ts';
import type { BackupTarget, TargetFile } from './target.ts';

export class OffBox {
  constructor(private readonly file: TargetFile) {}

  target(): BackupTarget | null { return this.file.get(); }

  private async with<T>(fn: (r: RemoteBackups) => Promise<T>, t = this.target()): Promise<T> {
    if (!t) throw new UserError('no off-box backup target is set', 'set one with `minicloud backups:target s3://bucket/prefix --endpoint URL`', 409);
    const r = await RemoteBackups.open(t);
    try { return await fn(r); } finally { r.close(); }
  }

  /** Checks a new target answers before it is kept. */
  async set(t: BackupTarget): Promise<void> {
    await this.with((r) => r.check(), t);
    this.file.set(t);
  }

  /** Forgets the target (the copies in the bucket stay); whether one was set. */
  clear(): boolean { return this.file.remove(); }

  /** Copies a finished backup (its directory holds the manifest); null when no target is set. */
  async copy(dir: string, m: Manifest): Promise<{ note: string } | { error: string } | null> {
    if (!this.target()) return null;
    try {
      return { note: await this.with((r) => r.upload(dir, m)) };
    } catch (e) {
      return { error: `the off-box copy failed: ${(e as Error).message}` };
    }
  }

  /** The app's backups in the bucket; with `verify`, each object read back and checked against its manifest. */
  list(app: string, verify = false): Promise<RemoteBackup[]> {
    return this.with(async (r) => {
      const all = await r.list(app);
      if (verify) for (const b of all) b.problem = await r.verify(b);
      return all;
    });
  }

  /**
   * Brings a remote backup onto this disk (`<backups>/<app>/<id>/`, checksums checked) and records it, as on a fresh
   * server restoring from the bucket; a backup already here is left as it is.
   */
  async fetchInto(store: Store, backupsDir: string, app: string, id: string): Promise<void> {
    const dir = join(backupsDir, app, id);
    if (existsSync(join(dir, MANIFEST)) && store.backups.get(id)) return;
    if (existsSync(dir) && !store.backups.get(id)) throw new UserError(`${dir} exists but is no backup minicloud knows`, 'move it away, then try again', 409);
    await this.with((r) => r.fetch(app, id, dir));
    adoptLeftBehind(store, backupsDir, app);
    const b = store.backups.get(id);
    if (!b) throw new UserError(`backup ${id} from the bucket could not be recorded (its manifest is not ${app}'s)`, undefined, 502);
    store.backups.update(id, { notes: [`fetched from ${this.target()?.url ?? 'the off-box target'}; every part's checksum matched its manifest`] });
  }

  /** The retention rules applied to the bucket's copies: returns the ids deleted there. */
  async prune(app: string, keep: number): Promise<string[]> {
    if (!this.target()) return [];
    return this.with(async (r) => {
      const all = await r.list(app);
      const gone = toPrune(all.map((b) => ({ id: b.id, createdAt: b.createdAt, status: b.status as 'good' })), keep);
      await r.remove(app, gone);
      return gone;
    });
  }
}
