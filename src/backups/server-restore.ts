// `minicloud restore <archive>`: every app of a server archive back on this server. First everything is read and
// checked (the archive, its database, names, conflicts, add-on servers) and a refusal changes nothing; then per app:
// its records, its repository, new add-on users and databases (fresh names where the old ones are taken), its
// databases and volumes from its verified backup, and a new release rebuilt from its source (or pulled again).
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError, validateAppName, validateConfigKey, validateDomain, validateMountPath, readArtifact, type Artifact, type Deploy } from '../core/index.ts';
import { SCHEMA_VERSION, Store, hasTable, insertRows, readRows, updateRow, type StoredAddon } from '../store/index.ts';
import type { BackupsService } from './service.ts';
import { DEFAULT_LIMITS, readServerArchive, type ReadLimits } from './server-archive.ts';
import type { ServerMovesPaths } from './server-backup.ts';
import type { ServerManifest } from './server-manifest.ts';

/** What runs again on this server: a build of a commit (source archive given, or fetched from GitHub), or an image pull. */
export type Redeploy =
  | { kind: 'build'; commit: string; ref: string; author: string | null; message: string | null; sourceTar: string | null; fetchFrom: string | null }
  | { kind: 'image'; image: string };

export interface ServerRestoreDeps {
  store: Store;
  backups: BackupsService;
  paths: ServerMovesPaths & { backups: string; builds: string };
  repoDir: (app: string) => string;
  /** Creates the app as `apps:create` does (its repository, its queue). */
  createApp: (name: string) => Promise<void>;
  /** Throws a UserError when this server cannot provision that add-on kind (no admin URL, server away). */
  checkAddon: (kind: string) => Promise<void>;
  attachAddon: (app: string, kind: string) => Promise<StoredAddon>;
  /** Queues the deploy and waits for its end, its log lines passed to `say`. */
  redeploy: (app: string, what: Redeploy, say: (line: string) => void) => Promise<Pick<Deploy, 'status' | 'release' | 'error'>>;
  limits?: ReadLimits;
  /** Certificates were written to the certificate store: serve them. */
  certsRestored?: () => void;
}

export interface RestorePlan { stage: string; dir: string; manifest: ServerManifest; old: Store; apps: string[] }
export interface RestoredApp { name: string; status: 'restored' | 'failed'; release: number | null; notes: string[]; error: string | null }

const refuse = (why: string, hint?: string, status = 409) => new UserError(`${why}; nothing was changed`, hint, status);
let busy = false;

/** A restore is for a fresh install: one with apps is refused unless forced (checked again before the upload is read). */
export function refuseUnlessEmpty(store: Store, force: boolean): string[] {
  const existing = store.apps.list().map((a) => a.name);
  if (existing.length && !force) {
    throw refuse(`this server already has ${existing.length} app(s) (${existing.slice(0, 5).join(', ')}${existing.length > 5 ? ', ...' : ''}), and a restore is meant for a fresh install`,
      'restore on a fresh install, or pass --force to add the archive\'s apps beside these (an app of the same name is refused)');
  }
  return existing;
}

/** Reads and checks everything; a refusal changes nothing. discardPlan() must follow applyRestore(). */
export async function prepareRestore(d: ServerRestoreDeps, file: string, force: boolean): Promise<RestorePlan> {
  const existing = refuseUnlessEmpty(d.store, force);
  mkdirSync(d.paths.staging, { recursive: true, mode: 0o700 });
  const stage = mkdtempSync(join(d.paths.staging, 'restore-'));
  const dir = join(stage, 'x');
  let old: Store | null = null;
  try {
    const manifest = await readServerArchive(file, dir, { schemaVersion: SCHEMA_VERSION }, d.limits ?? DEFAULT_LIMITS);
    try {
      old = new Store(join(dir, 'minicloud.db')); // an older schema is brought up to this one here
      if (old.db.pragma('integrity_check', { simple: true }) !== 'ok') throw new Error('its integrity check failed');
    } catch (e) {
      throw refuse(`the archive's database cannot be read: ${(e as Error).message.slice(0, 200)}`, 'make a new archive on the old server');
    }
    const apps = readRows(old.db, 'apps').map((r) => validateAppName(r.name));
    const listed = manifest.apps.map((a) => a.name);
    if (apps.length !== listed.length || apps.some((a) => !listed.includes(a))) throw refuse('the archive\'s manifest and database list different apps');
    const taken = apps.filter((a) => existing.includes(a));
    if (taken.length) throw refuse(`app(s) ${taken.join(', ')} exist on this server already`, `destroy them first (\`minicloud apps:destroy ${taken[0]} --confirm ${taken[0]}\`) or restore on a fresh install`);
    for (const r of readRows(old.db, 'domains')) {
      const domain = validateDomain(r.domain);
      const owner = d.store.domains.get(domain);
      if (owner) throw refuse(`domain ${domain} (of ${String(r.app)} in the archive) is used by app ${owner.app} here`, `remove it there first with \`minicloud domains:remove ${owner.app} ${domain}\``);
    }
    for (const r of readRows(old.db, 'volumes')) validateMountPath(r.path);
    for (const kind of new Set(readRows(old.db, 'addons').map((r) => String(r.kind)))) await d.checkAddon(kind);
    for (const a of manifest.apps) if (a.backup && !existsSync(join(dir, 'apps', a.name, 'backup'))) throw refuse(`the backup of ${a.name} is missing from the archive`);
    return { stage, dir, manifest, old, apps };
  } catch (e) {
    old?.close();
    rmSync(stage, { recursive: true, force: true });
    throw e;
  }
}

/** One restore at a time on a server. */
export async function exclusiveRestore<T>(fn: () => Promise<T>): Promise<T> {
  if (busy) throw new UserError('a restore is already running on this server', 'wait for it to end', 409);
  busy = true;
  try { return await fn(); } finally { busy = false; }
}

export function discardPlan(plan: RestorePlan): void {
  if (plan.old.isOpen) plan.old.close();
  rmSync(plan.stage, { recursive: true, force: true });
}

/** Applies a prepared plan: the server-wide records, then app after app; an app that fails is reported, the others go on. */
export async function applyRestore(d: ServerRestoreDeps, plan: RestorePlan, say: (line: string) => void): Promise<{ apps: RestoredApp[]; notes: string[] }> {
  const { old, dir } = plan;
  const to = d.store.db;
  const notes: string[] = [];
  // `admin` is the old server's admin token (api/access BOOT_TOKEN): this server keeps its own.
  const tokens = insertRows(to, 'tokens', readRows(old.db, 'tokens', "name != 'admin'"), 'ignore');
  const users = insertRows(to, 'users', readRows(old.db, 'users'), 'ignore');
  insertRows(to, 'audit', readRows(old.db, 'audit', '1 ORDER BY id').map(({ id: _id, ...r }) => r));
  insertRows(to, 'webhook_deliveries', readRows(old.db, 'webhook_deliveries'), 'ignore');
  const channels = insertRows(to, 'alert_channels', alertChannels(old.db, 'app IS NULL'), 'ignore');
  if (channels) notes.push(`${channels} server-wide alert channel(s) restored`);
  notes.push(`${tokens} token(s) and ${users} person(s) restored (those already here kept as they are; this server's admin token stays its own)`);
  const certs = moveCerts(join(dir, 'certs'), d.paths.certs);
  if (certs) notes.push(`${certs} certificate(s) restored`);
  d.certsRestored?.();
  if (existsSync(join(dir, 'settings.env'))) {
    renameSync(join(dir, 'settings.env'), join(d.paths.dataDir, 'settings.env.from-archive'));
    notes.push(`the old server's settings.env is in ${join(d.paths.dataDir, 'settings.env.from-archive')}: compare it with this server's`);
  }
  for (const n of notes) say(`-----> ${n}`);
  const apps: RestoredApp[] = [];
  for (const name of plan.apps) {
    const r: RestoredApp = { name, status: 'restored', release: null, notes: [], error: null };
    const tell = (line: string) => { r.notes.push(line); say(`-----> ${name}: ${line}`); };
    try {
      await restoreApp(d, plan, name, tell, (line) => say(`       ${name}: ${line}`), r);
    } catch (e) {
      r.status = 'failed';
      r.error = (e as Error).message;
      say(` !     ${name}: ${r.error}`);
    }
    apps.push(r);
  }
  return { apps, notes };
}

async function restoreApp(d: ServerRestoreDeps, plan: RestorePlan, app: string, tell: (l: string) => void, log: (l: string) => void, r: RestoredApp): Promise<void> {
  const { old, dir } = plan;
  const to = d.store.db;
  const row = readRows(old.db, 'apps', 'name = ?', [app])[0]!;
  await d.createApp(app);
  const { name: _n, current_release: _c, ...settings } = row;
  updateRow(to, 'apps', 'name', app, settings);
  // The add-ons' config vars are made anew below, for this server's databases and users.
  const addons = readRows(old.db, 'addons', 'app = ?', [app]);
  const addonKeys = new Set(addons.flatMap((a) => JSON.parse(String(a.env_keys)) as string[]));
  const config = readRows(old.db, 'config_vars', 'app = ?', [app]).filter((c) => !addonKeys.has(String(c.key)));
  const badKeys = config.filter((c) => !validKey(c.key)).map((c) => String(c.key).slice(0, 40));
  insertRows(to, 'config_vars', config.filter((c) => validKey(c.key)));
  if (badKeys.length) tell(`config var(s) ${badKeys.join(', ')} left out: not valid names here`);
  for (const t of ['formation', 'github_links', 'domains', 'volumes', 'backup_schedules']) insertRows(to, t, readRows(old.db, t, 'app = ?', [app]));
  // Previews (tables an older archive lacks): the app's settings, and its record as a preview of its parent.
  for (const t of ['preview_settings', 'previews']) if (hasTable(old.db, t)) insertRows(to, t, readRows(old.db, t, 'app = ?', [app]));
  insertRows(to, 'alert_channels', alertChannels(old.db, 'app = ?', [app]), 'ignore');
  // Releases keep their history; a build that lived on the old server only is pointed nowhere (a rollback to it fails, saying so).
  insertRows(to, 'releases', readRows(old.db, 'releases', 'app = ?', [app]).map((rel) => {
    const a = readArtifact(JSON.parse(String(rel.artifact)));
    return a.kind === 'dir' ? { ...rel, artifact: JSON.stringify({ ...a, dir: join(d.paths.builds, app, `not-restored-v${String(rel.version)}`) }) } : rel;
  }));
  const done = "status IN ('succeeded', 'failed')";
  insertRows(to, 'deploys', readRows(old.db, 'deploys', `app = ? AND ${done}`, [app]).map((x) => ({ ...x, pusher_told: 1 })));
  insertRows(to, 'deploy_logs', readRows(old.db, 'deploy_logs', `deploy_id IN (SELECT id FROM deploys WHERE app = ? AND ${done})`, [app]));
  tell(`config, ${readRows(old.db, 'domains', 'app = ?', [app]).length} domain(s), ${readRows(old.db, 'volumes', 'app = ?', [app]).length} volume(s) and release history restored`);

  const bundle = join(dir, 'apps', app, 'repo.bundle');
  if (existsSync(bundle)) {
    const f = spawnSync('git', ['-C', d.repoDir(app), 'fetch', '--quiet', '--update-head-ok', bundle, '+refs/*:refs/*'], { encoding: 'utf8' });
    if (f.status !== 0) throw new Error(`importing its git repository failed: ${f.stderr.trim().slice(0, 300)}`);
    tell('git repository restored');
  }
  for (const a of addons) {
    const made = await d.attachAddon(app, String(a.kind));
    tell(`${made.kind} add-on provisioned on this server as ${made.name}${made.name === a.name ? '' : ` (${String(a.name)} is taken there)`}`);
  }
  // Earlier releases carried the old server's add-on URLs: a rollback here must use this server's, never the old ones.
  const now = d.store.configVars.get(app);
  const fresh = Object.fromEntries([...addonKeys].filter((k) => k in now).map((k) => [k, now[k]!]));
  if (Object.keys(fresh).length) d.store.releases.setInEveryConfig(app, fresh);
  const id = plan.manifest.apps.find((a) => a.name === app)?.backup;
  if (id) {
    const target = join(d.paths.backups, app, id);
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    renameSync(join(dir, 'apps', app, 'backup'), target);
    insertRows(to, 'backups', readRows(old.db, 'backups', 'id = ? AND app = ?', [id, app]).map((b) => ({ ...b, dir: target })));
    if (!d.store.backups.get(id)) throw new Error(`the archive's database has no record of backup ${id}`);
    const restored = await d.backups.restore(app, id);
    tell(`data restored from backup ${id}: ${restored.restored.join(', ')}`);
  }
  const rel = old.releases.get(app, Number(row.current_release ?? 0));
  if (!rel) return tell('it had no release: push to deploy it');
  const what = redeployOf(d, old, app, rel.version, rel);
  if (!what) throw new Error(`v${rel.version} cannot be rebuilt here: no source or image is known for it; push again`);
  tell(what.kind === 'image' ? `pulling ${what.image} again (v${rel.version} ran it)` : `rebuilding v${rel.version} from ${what.commit.slice(0, 7)}`);
  try {
    const end = await d.redeploy(app, what, log);
    if (end.status !== 'succeeded') throw new Error(`its new release failed: ${end.error ?? 'no reason given'}; see \`minicloud logs ${app} --build\``);
    r.release = end.release;
    tell(`v${end.release} is live (was v${rel.version} on the old server)`);
  } finally {
    if (what.kind === 'build' && what.sourceTar) rmSync(what.sourceTar, { force: true });
  }
}

const validKey = (k: unknown) => { try { validateConfigKey(String(k)); return true; } catch { return false; } };

/** How the old current release comes back: the commit from the restored repository (or GitHub), else the image it ran. */
function redeployOf(d: ServerRestoreDeps, old: Store, app: string, version: number, rel: { commit: string | null; commitAuthor: string | null; commitMessage: string | null; artifact: Artifact }): Redeploy | null {
  if (rel.commit) {
    const branch = String(readRows(old.db, 'apps', 'name = ?', [app])[0]!.deploy_branch);
    const tar = join(d.paths.staging, `source-${app}-${process.pid}-${Date.now()}.tar`);
    const a = spawnSync('git', ['-C', d.repoDir(app), 'archive', '--format=tar', '-o', tar, rel.commit], { encoding: 'utf8' });
    const link = readRows(old.db, 'github_links', 'app = ?', [app])[0];
    if (a.status !== 0 && !link) return null;
    return { kind: 'build', commit: rel.commit, ref: `refs/heads/${branch}`, author: rel.commitAuthor, message: rel.commitMessage,
      sourceTar: a.status === 0 ? tar : null, fetchFrom: a.status === 0 ? null : String(link!.repo) };
  }
  const image = readRows(old.db, 'deploys', "app = ? AND kind = 'image' AND status = 'succeeded' AND release <= ? ORDER BY created_at DESC LIMIT 1", [app, version])[0];
  if (image?.ref) return { kind: 'image', image: String(image.ref) };
  return rel.artifact.kind === 'image' ? { kind: 'image', image: rel.artifact.image } : null;
}

const kindOf = (certDir: string) => {
  try { return (JSON.parse(readFileSync(join(certDir, 'meta.json'), 'utf8')) as { kind?: unknown }).kind; } catch { return null; }
};

/**
 * Each domain's certificate directory where this server has none, or only a self-signed one and the archive a CA's;
 * the ACME account key where this server has none. Returns how many certificates moved in.
 */
function moveCerts(from: string, to: string): number {
  if (!existsSync(from)) return 0;
  mkdirSync(to, { recursive: true, mode: 0o700 });
  let n = 0;
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    const dst = join(to, name);
    if (!lstatSync(src).isDirectory()) continue;
    if (name === '_acme') {
      for (const f of readdirSync(src)) {
        if (!existsSync(join(dst, f)) && lstatSync(join(src, f)).isFile()) { mkdirSync(dst, { recursive: true, mode: 0o700 }); renameSync(join(src, f), join(dst, f)); }
      }
      continue;
    }
    if (existsSync(dst) && !(kindOf(dst) === 'self-signed' && kindOf(src) !== 'self-signed')) continue;
    rmSync(dst, { recursive: true, force: true });
    renameSync(src, dst);
    n++;
  }
  return n;
}

/** Alert channels of an archive (one made before alerts has none), rows of a kind or format this server lacks left out. */
function alertChannels(old: Store['db'], where: string, params: unknown[] = []): ReturnType<typeof readRows> {
  if (!hasTable(old, 'alert_channels')) return [];
  const formats: Record<string, string[]> = { webhook: ['json', 'slack', 'discord'], email: ['email'] };
  return readRows(old, 'alert_channels', where, params)
    .filter((r) => typeof r.target === 'string' && r.target.length <= 2048 && (formats[String(r.kind)] ?? []).includes(String(r.format)));
}
