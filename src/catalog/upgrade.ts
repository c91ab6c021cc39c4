// apps:upgrade: an app installed from the catalog moves to another of its entry's versions (the pinned one by default):
// a backup first, then the image-deploy path with the entry's commands and health check. A release that does not come
// up healthy never replaces the one serving (the pipeline's rolling deploy), and the upgrade says so.
import { UserError, type Deploy, type LogEvent, type UpgradeInfo } from '../core/index.ts';
import { submitDeploy } from '../intake/index.ts';
import type { DeployQueue } from '../queue/index.ts';
import type { Store } from '../store/index.ts';
import { randomBytes } from 'node:crypto';
import { CATALOG_DIR, catalogEntry, processEnv, type CatalogEntry } from './entries.ts';
import { runAs } from './install.ts';
import { atVersion, compareVersions, entryVersions, type EntryVersion } from './versions.ts';

export interface UpgraderDeps {
  store: Store;
  queue: DeployQueue;
  /** Takes a backup of the app now (src/backups). */
  backup: (app: string) => Promise<{ id: string; status: string; error: string | null }>;
  /** The deploy's log, backlog then live, ending with its outcome. */
  follow: (deployId: string, signal: AbortSignal) => AsyncIterable<LogEvent>;
  dir?: string;
}

interface Plan { app: string; entry: CatalogEntry; installed: string; target: EntryVersion }

const line = (text: string): LogEvent => ({ type: 'line', seq: 0, time: new Date().toISOString(), text });

export class CatalogUpgrader {
  constructor(private readonly d: UpgraderDeps) {}

  /** The entry the app came from, the version its current release runs and the versions the entry lists. */
  info(appName: string): UpgradeInfo {
    const { entry, installed } = this.current(appName);
    return { id: entry.id, name: entry.name, installed, newest: entry.version, versions: entryVersions(entry).map((v) => v.version) };
  }

  /**
   * Checks the upgrade can be made (installed from the catalog, runs a known version, the target newer), then streams
   * it: the backup, the deploy's log, and what runs at the end. Refusals throw before anything streams.
   */
  start(appName: string, to: string | undefined): (signal: AbortSignal) => AsyncGenerator<LogEvent> {
    const plan = this.plan(appName, to);
    return (signal) => this.run(plan, signal);
  }

  private current(appName: string): { app: string; entry: CatalogEntry; installed: string | null } {
    const { store } = this.d;
    const app = store.apps.require(appName);
    const record = store.apps.catalog(app.name);
    if (!record) throw new UserError(`${app.name} was not installed from the catalog`, 'apps:upgrade moves catalog apps to a newer pinned version; deploy other apps with `git push` or `minicloud deploy --image`', 409);
    const entry = catalogEntry(record.id, this.d.dir ?? CATALOG_DIR);
    const release = app.currentRelease === null ? null : store.releases.get(app.name, app.currentRelease);
    const ref = release?.artifact.kind === 'image' ? release.artifact.origin?.ref : undefined;
    return { app: app.name, entry, installed: (ref && record.images[ref]) ?? null };
  }

  private runs(app: string): string | null {
    try {
      return this.current(app).installed;
    } catch {
      return null;
    }
  }

  private plan(appName: string, to: string | undefined): Plan {
    const { app, entry, installed } = this.current(appName);
    const versions = entryVersions(entry);
    if (installed === null) {
      throw new UserError(`${app}'s current release runs no version of the catalog's ${entry.id}`, `roll back to a release installed from the catalog (\`minicloud releases ${app}\`), then upgrade`, 409);
    }
    const target = versions.find((v) => v.version === (to ?? entry.version));
    if (!target) throw new UserError(`the catalog's ${entry.id} has no version ${to}`, `its versions: ${versions.map((v) => v.version).join(', ')}`);
    const order = compareVersions(target.version, installed);
    if (order === 0) {
      const newest = target.version === entry.version ? ', the newest the catalog has' : '';
      throw new UserError(`${app} already runs ${entry.name} ${installed}${newest}`, to ? undefined : 'nothing to do', 409);
    }
    if (order < 0) throw new UserError(`${target.version} is older than the ${installed} ${app} runs`, `apps:upgrade only moves forward; \`minicloud rollback ${app}\` returns to an earlier release`, 409);
    return { app, entry, installed, target };
  }

  private async *run({ app, entry, installed, target }: Plan, signal: AbortSignal): AsyncGenerator<LogEvent> {
    const { store } = this.d;
    yield line(`-----> Upgrading ${app} from ${entry.name} ${installed} to ${target.version}`);
    yield line('-----> Backing up first');
    const backup = await this.d.backup(app).catch((e: unknown) => ({ id: '', status: 'failed', error: (e as Error).message }));
    if (backup.status !== 'good' && backup.status !== 'unverified') {
      yield line(` !     the backup failed (${backup.error ?? 'no reason recorded'}): nothing was changed, ${app} still runs ${installed}`);
      yield { type: 'end', status: 'failed', release: null, url: null, error: 'the backup before the upgrade failed' };
      return;
    }
    yield line(`       Backup ${backup.id} (${backup.status})`);
    const next = atVersion(entry, target);
    const record = store.apps.catalog(app)!;
    store.apps.setCatalog(app, { ...record, images: { ...record.images, [target.image]: target.version } });
    const memory = store.apps.require(app).memoryMb;
    if (memory !== null && memory < entry.memoryMb) {
      store.apps.setMemory(app, entry.memoryMb);
      yield line(`       Memory limit ${memory} → ${entry.memoryMb} MiB (what ${entry.name} needs)`);
    }
    const added = newConfig(entry, store.configVars.get(app));
    if (Object.keys(added).length) {
      store.configVars.update(app, added);
      yield line(`       New config vars from the catalog's entry: ${Object.keys(added).join(', ')}`);
    }
    let deploy: Deploy;
    try {
      deploy = await submitDeploy(store, this.d.queue, { app, kind: 'image', ref: target.image }, {
        description: `Upgrade ${entry.name} ${installed} → ${target.version} (${target.image}) from the catalog`, runAs: runAs(next),
      });
    } catch (e) {
      yield line(` !     ${(e as Error).message}: nothing was changed, ${app} still runs ${installed}`);
      yield { type: 'end', status: 'failed', release: null, url: null, error: (e as Error).message };
      return;
    }
    for await (const e of this.d.follow(deploy.id, signal)) {
      if (e.type === 'end') {
        const restore = `\`minicloud backups:restore ${app} ${backup.id}\``;
        if (e.status === 'succeeded') yield line(`-----> ${app} runs ${entry.name} ${target.version} now; the data before the upgrade is in backup ${backup.id}`);
        else {
          const now = this.runs(app);
          yield line(now === installed
            ? ` !     The upgrade to ${target.version} failed: ${app} rolled back to ${entry.name} ${installed}, which still serves`
            : ` !     The upgrade to ${target.version} failed; ${app}'s current release runs ${now ?? 'no version of the entry'} (see \`minicloud releases ${app}\`)`);
          yield line(` !     Should ${target.version} have changed the data before it failed, ${restore} brings back the data as it was`);
        }
      }
      yield e;
    }
  }
}

/**
 * What the entry sets that the app lacks: its processes' env and its generated secrets added since the install (an
 * entry of a newer minicloud). Values the app has stay as they are, changed by its owner or not; a new htpasswd
 * secret needs inputs the owner gives, so it is left to them.
 */
export function newConfig(entry: CatalogEntry, config: Record<string, string>): Record<string, string> {
  const added: Record<string, string> = {};
  for (const [k, v] of Object.entries(processEnv(entry))) if (!(k in config)) added[k] = v;
  for (const s of entry.secrets ?? []) if (!(s.key in config) && !s.htpasswd) added[s.key] = randomBytes(s.bytes ?? 24).toString('base64url');
  return added;
}
