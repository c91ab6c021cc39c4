// What minicloud does with add-ons: attach a shared service to an app (config vars in a release), detach it, list them.
import { createHash, randomBytes } from 'node:crypto';
import { NotFoundError, UserError, type AddonInfo, type Deploy, type Logger, type Manifest } from '../core/index.ts';
import { validateAddonName } from './common.ts';
import { parseAddonKind, providerFor } from './providers.ts';
import type { AddonKind } from './types.ts';
import type { Store, StoredAddon } from '../store/index.ts';

/** The deploys an add-on change makes (the apps service): queued behind any build of the app, waited for. */
export interface AddonReleases {
  runAndWait(app: string, kind: 'release', description: string): Promise<Deploy>;
  releaseWith(app: string, description: string, configChanges: Record<string, string | null>, attachAddon?: string): Promise<Deploy>;
}

export interface AddonsDeps {
  store: Store;
  service: AddonReleases;
  /** Where the shared servers' admin URLs come from (MINICLOUD_POSTGRES_URL, ...). */
  env: NodeJS.ProcessEnv;
}

/** The database/user/vhost name of an app's add-on: `mc_<app>`, shortened with a hash past 63 characters. */
export function addonName(app: string): string {
  const base = `mc_${app.replace(/-/g, '_')}`;
  if (base.length <= 63) return validateAddonName(base);
  return validateAddonName(`${base.slice(0, 54)}_${createHash('sha256').update(app).digest('hex').slice(0, 8)}`);
}

/** The shared servers' ports when an add-on's URL names none. */
const DEFAULT_PORT: Record<AddonKind, number> = { postgres: 5432, mariadb: 3306, redis: 6379, rabbitmq: 5672 };

/** What a dropped add-on took with it on the shared server. */
const WHAT: Record<AddonKind, string> = { postgres: 'database and user', mariadb: 'database and user', redis: 'user and keys', rabbitmq: 'vhost and user' };

const info = (a: StoredAddon): AddonInfo => ({ app: a.app, kind: a.kind as AddonKind, name: a.name, envKeys: a.envKeys, createdAt: a.createdAt });

export class AddonsService {
  constructor(private readonly d: AddonsDeps) {}

  list(app: string): AddonInfo[] {
    return this.d.store.addons.list(this.d.store.apps.require(app).name).map(info);
  }

  /**
   * One add-on as `addons:info` shows it: where it lives, its database (or vhost, or key prefix) and user, what it
   * holds now (asked of the shared server; an unreachable one is said, not fatal), its URL with the password masked.
   */
  async info(app: string, kind: string): Promise<AddonInfo> {
    const a = this.find(app, kind);
    const c = a.credentials;
    let server = '';
    let masked = '';
    try {
      const u = new URL(c.url ?? '');
      server = `${u.hostname}:${u.port || DEFAULT_PORT[a.kind as AddonKind]}`;
      if (u.password) u.password = '****';
      masked = u.href;
    } catch { /* no URL kept: nothing to show */ }
    const provider = providerFor(a.kind as AddonKind, this.d.env);
    let usage: string | null = null;
    let usageError: string | null = null;
    try {
      usage = await provider.usage(a.name, c);
    } catch (e) {
      usageError = (e as Error).message;
    } finally {
      await provider.close();
    }
    return { ...info(a), server, database: c.database ?? c.vhost ?? c.prefix ?? a.name, user: c.user ?? a.name, url: masked, usage, usageError };
  }

  private find(app: string, kind: string): StoredAddon {
    const a = this.d.store.addons.list(this.d.store.apps.require(app).name).find((x) => x.kind === kind);
    if (!a) throw new NotFoundError(`${app} has no ${kind} add-on`, `see \`minicloud addons ${app}\``);
    return a;
  }

  /** Provisions and keeps the add-on, its config vars set at once: for an app with no release yet, a restore, a deploy's `needs`. */
  async attach(app: string, kind: AddonKind, pickName?: (provider: ReturnType<typeof providerFor>) => Promise<string>): Promise<StoredAddon> {
    const { addon, env } = await this.provision(app, kind, pickName);
    this.d.store.configVars.update(app, env);
    return addon;
  }

  /** Makes the add-on's database/vhost/user on the shared server and records it; its config vars are the caller's to keep. */
  private async provision(app: string, kind: AddonKind, pickName = async (_: ReturnType<typeof providerFor>) => addonName(app)): Promise<{ addon: StoredAddon; env: Record<string, string> }> {
    if (this.d.store.addons.list(app).some((a) => a.kind === kind)) {
      throw new UserError(`${app} already has a ${kind} add-on`, `see \`minicloud addons:info ${app} ${kind}\``, 409);
    }
    const provider = providerFor(kind, this.d.env);
    try {
      const name = await pickName(provider);
      const p = await provider.create(name);
      const addon: StoredAddon = { app, kind, name, credentials: p.credentials, envKeys: Object.keys(p.env), createdAt: new Date().toISOString() };
      this.d.store.addons.save(addon);
      return { addon, env: p.env };
    } finally {
      await provider.close();
    }
  }

  /**
   * A restored app's add-on (`minicloud restore`): `mc_<app>` when the shared server has no database or user of that
   * name, else `mc_<app>_<random>`, so a server shared with the old installation (or another one) keeps its own.
   */
  attachRestored(app: string, kind: string): Promise<StoredAddon> {
    return this.attach(app, parseAddonKind(kind), async (provider) => {
      const name = addonName(app);
      if (provider.exists && !(await provider.exists(name))) return name;
      return validateAddonName(`${name.slice(0, 50)}_r${randomBytes(5).toString('hex')}`);
    });
  }

  /**
   * Attaches the add-on with a release carrying its config vars, kept only once that release is up. A release that
   * fails takes the add-on with it (the pipeline calls detachFailed): never half-attached, config as it was.
   */
  async create(appName: string, kind: AddonKind): Promise<{ addon: AddonInfo; deploy: Deploy | null }> {
    const app = this.d.store.apps.require(appName);
    if (!app.currentRelease) return { addon: info(await this.attach(app.name, kind)), deploy: null };
    const { addon, env } = await this.provision(app.name, kind);
    let deploy: Deploy;
    try {
      deploy = await this.d.service.releaseWith(app.name, `Add ${addon.kind} (${addon.envKeys.join(', ')})`, env, kind);
    } catch (e) {
      // Refused before it was queued (Redis away): nothing will run it. Queued and waiting: its own outcome decides.
      if (!this.d.store.deployJobs.unfinished().some((d) => d.app === app.name && this.d.store.deployJobs.get(d.id).attachAddon === kind)) await this.drop(addon);
      throw e;
    }
    if (deploy.status === 'failed') {
      const kept = this.d.store.addons.list(app.name).some((a) => a.kind === kind); // the shared server refused the drop
      throw new UserError(`${app.name}'s release with the ${kind} add-on failed: ${deploy.error ?? 'no reason given'}`,
        (kept ? `the ${kind} add-on could not be dropped; remove it with \`minicloud addons:destroy ${app.name} ${kind} --confirm ${app.name}\`, ` : `the ${kind} add-on was not attached: its ${WHAT[kind]} were dropped and `) +
        `the config vars left as they were; see \`minicloud logs ${app.name} --source release\``, 422);
    }
    return { addon: info(addon), deploy };
  }

  /** The release that was to attach the add-on failed: it goes again, data and all (its config vars were never kept). */
  async detachFailed(app: string, kind: string, say: (l: string) => void): Promise<void> {
    const addon = this.d.store.addons.list(app).find((a) => a.kind === kind);
    if (!addon) return;
    await this.drop(addon);
    say(` !     the ${kind} add-on was not attached: its ${WHAT[addon.kind as AddonKind]} were dropped`);
  }

  private async drop(addon: StoredAddon): Promise<void> {
    const provider = providerFor(addon.kind as AddonKind, this.d.env);
    try {
      await provider.destroy(addon.name, addon.credentials);
    } finally {
      await provider.close();
    }
    this.d.store.addons.delete(addon.app, addon.kind);
  }

  async destroy(appName: string, kind: AddonKind, confirm: string | undefined, restart = true): Promise<Deploy | null> {
    const app = this.d.store.apps.require(appName);
    const addon = this.find(app.name, kind);
    if (confirm !== app.name) {
      throw new UserError(`destroying ${app.name}'s ${kind} deletes all its data`, `confirm with \`minicloud addons:destroy ${app.name} ${kind} --confirm ${app.name}\``);
    }
    await this.drop(addon);
    this.d.store.configVars.update(app.name, Object.fromEntries(addon.envKeys.map((k) => [k, null])));
    if (!restart || !app.currentRelease) return null;
    return this.d.service.runAndWait(app.name, 'release', `Remove ${addon.kind}`);
  }

  /**
   * Puts back what shared servers lost since (a restarted Redis forgets its ACL users), so apps' URLs
   * keep working without anyone re-creating add-ons. Unreachable servers are skipped until next time.
   */
  async restoreAll(log: Logger): Promise<Map<string, string | null>> {
    // Per shared server (kind): null when every check of it answered, else the first failure's words.
    const reach = new Map<string, string | null>();
    for (const app of this.d.store.apps.list()) {
      for (const a of this.d.store.addons.list(app.name)) {
        const provider = providerFor(a.kind as AddonKind, this.d.env);
        try {
          if (await provider.restore?.(a.name, a.credentials)) log.info(`${app.name}: the ${a.kind} add-on's user was gone from the shared server (restarted?); restored it`);
          if (!reach.has(a.kind)) reach.set(a.kind, null);
        } catch (e) {
          log.warn(`${app.name}: could not check the ${a.kind} add-on: ${(e as Error).message}`);
          if (!reach.get(a.kind)) reach.set(a.kind, (e as Error).message);
        } finally {
          await provider.close();
        }
      }
    }
    return reach;
  }

  /** Before an app is destroyed: its databases, vhosts and users go with it. */
  async destroyAll(app: string): Promise<void> {
    for (const a of this.d.store.addons.list(app)) await this.destroy(app, parseAddonKind(a.kind), app, false);
  }

  /** Add-ons by kind (a pushed Compose file's `x-minicloud: { addon }` services), each attached once; inside a deploy, like needs. */
  async provisionKinds(app: string, kinds: string[], say: (l: string) => void): Promise<void> {
    for (const k of kinds) {
      const kind = parseAddonKind(k);
      if (this.d.store.addons.list(app).some((a) => a.kind === kind)) continue;
      const addon = await this.attach(app, kind);
      say(`-----> Provisioned ${kind}: ${addon.envKeys.join(', ')}`);
    }
  }

  /** A manifest's `needs`, provisioned once; runs inside the app's deploy, so it must not queue a release. */
  async provisionNeeds(app: string, needs: NonNullable<Manifest['needs']>, say: (l: string) => void): Promise<void> {
    const database = (this.d.env.MINICLOUD_DEFAULT_DATABASE ?? 'mariadb') as AddonKind;
    for (const need of needs) {
      if (need === 'storage') {
        // A persistent /data unless the app has storage already (storage:add chose its own path): $STORAGE_DIR either way.
        if (this.d.store.volumes.list(app).length > 0) continue;
        this.d.store.volumes.add(app, '/data');
        say('-----> Provisioned storage for storage: /data in containers (./data in the app\'s directory for host processes; $STORAGE_DIR names it), kept across deploys and rollbacks');
        continue;
      }
      const kind: AddonKind = need === 'database' ? parseAddonKind(database) : need === 'messagebus' ? 'rabbitmq' : 'redis';
      if (this.d.store.addons.list(app).some((a) => a.kind === kind)) continue;
      const addon = await this.attach(app, kind);
      say(`-----> Provisioned ${kind} for ${need}: ${addon.envKeys.join(', ')}`);
    }
  }
}
