// Installing a catalog entry: an ordinary app made in one go (its inputs and generated secrets as config vars, its
// volumes, add-ons and memory limit), released from the entry's pinned image through the image-deploy path.
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { AddonsService } from '../addons/index.ts';
import type { AppsService } from '../apps/index.ts';
import { UserError, checkConfigChanges, excerpt, type Deploy, type Manifest, type RunUser } from '../core/index.ts';
import { submitDeploy } from '../intake/index.ts';
import type { DeployQueue } from '../queue/index.ts';
import type { Store } from '../store/index.ts';
import { CATALOG_DIR, catalogEntry, inputPattern, processEnv, routerSettings, type CatalogEntry } from './entries.ts';

export interface InstallerDeps {
  store: Store;
  apps: AppsService;
  addons: AddonsService;
  queue: DeployQueue;
  /** 'docker' runs images; catalog apps are images. */
  runtime: () => 'docker' | 'process' | 'swarm';
  /** Memory available now (MiB), MemAvailable on Linux. */
  memAvailableMb: () => number;
  dir?: string;
}

/** The config an install sets, and which of its keys are secret (never printed). */
export interface InstallPlan { config: Record<string, string>; secret: string[] }

/**
 * The config vars of an install: every input from `set` (or its default) matching its pattern, a fresh value for
 * each generated secret, the processes' env. A value that does not fit is named by its key, never echoed if secret.
 */
export function planInstall(entry: CatalogEntry, set: Record<string, string>): InstallPlan {
  const inputs = entry.inputs ?? [];
  const unknown = Object.keys(set).find((k) => !inputs.some((i) => i.key === k));
  if (unknown) {
    throw new UserError(`${unknown} is not an input of ${entry.id}`, inputs.length ? `its inputs: ${inputs.map((i) => i.key).join(', ')}` : `${entry.id} takes no --set`);
  }
  const config: Record<string, string> = { ...processEnv(entry) };
  const secret: string[] = [];
  for (const input of inputs) {
    const value = set[input.key] ?? input.default;
    const example = input.example ? ` --set ${input.key}=${input.example}` : ` --set ${input.key}=...`;
    if (value === undefined) throw new UserError(`${entry.id} needs ${input.key}: ${input.description}`, `give it with${example}`);
    if (!inputPattern(input.pattern).test(value)) {
      const got = input.secret ? '' : ` (got ${excerpt(value)})`;
      throw new UserError(`${input.key} must match ${input.pattern}: ${input.description}${got}`, `e.g.${example}`);
    }
    config[input.key] = value;
    if (input.secret) secret.push(input.key);
  }
  for (const s of entry.secrets ?? []) {
    // Inputs matched their patterns above; an htpasswd user may not hold `:` or a line break (the entry's pattern says so).
    const h = s.htpasswd;
    config[s.key] = h ? `${config[h.user]}:${bcrypt.hashSync(config[h.password]!, 10)}` : randomBytes(s.bytes ?? 24).toString('base64url');
    secret.push(s.key);
  }
  // The rules of config:set (names minicloud sets itself, NUL bytes, the size of it all), before anything is made.
  checkConfigChanges({}, config);
  return { config, secret };
}

/** What the release runs: the entry's commands and its port and health check, instead of the image's own. */
export function runAs(entry: CatalogEntry): { processes: Record<string, string>; manifest: Manifest; user?: RunUser } {
  const web = entry.processes.web!;
  const [uid, gid] = (entry.user ?? '').split(':').map(Number);
  return {
    ...(entry.user && { user: { uid: uid!, gid: gid! } }),
    processes: Object.fromEntries(Object.entries(entry.processes).map(([type, p]) => [type, p.command])),
    manifest: {
      ...(web.port && { expose: { proto: 'http', port: web.port } }),
      healthcheck: { path: entry.health.path, ...(entry.health.timeout && { startTimeoutSeconds: entry.health.timeout }) },
    },
  };
}

export class CatalogInstaller {
  constructor(private readonly d: InstallerDeps) {}

  /** The catalog directory it installs from. */
  get dir(): string {
    return this.d.dir ?? CATALOG_DIR;
  }

  entry(id: string): CatalogEntry {
    return catalogEntry(id, this.dir);
  }

  /** Checks everything that can be checked first, makes the app, and queues its first release; an error undoes the app. */
  async install(name: string, id: string, set: Record<string, string>, say: (line: string) => void): Promise<Deploy> {
    const entry = this.entry(id);
    if (this.d.runtime() === 'process') {
      throw new UserError(`${entry.name} is an image, and this minicloud runs apps as host processes`, 'catalog apps need the Docker runtime: start minicloud where a Docker engine answers (or set DOCKER_HOST)');
    }
    const free = this.d.memAvailableMb();
    if (entry.memoryMb > free) {
      throw new UserError(`${entry.name} needs ${entry.memoryMb} MiB of memory and this server has ${free} MiB available`, 'free some memory (stop or scale down apps), or install it on a bigger server', 507);
    }
    const plan = planInstall(entry, set);
    const app = (await this.d.apps.create(name)).name;
    try {
      return await this.provision(app, entry, plan, say);
    } catch (e) {
      // Nothing half-made stays: the add-ons made so far go with the app.
      await this.d.apps.destroy(app, app).catch(() => {});
      throw e;
    }
  }

  private async provision(app: string, entry: CatalogEntry, plan: InstallPlan, say: (line: string) => void): Promise<Deploy> {
    const { store } = this.d;
    say(`-----> Installing ${entry.name} ${entry.version} from the catalog as ${app}`);
    store.apps.setMemory(app, entry.memoryMb);
    if (entry.router) {
      store.routerSettings.set(app, routerSettings(entry));
      say(`       Router: ${Object.entries(entry.router).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
    store.configVars.update(app, plan.config);
    const given = Object.keys(plan.config).filter((k) => !plan.secret.includes(k));
    say(`       Config: ${[...given, ...plan.secret.map((k) => `${k} (secret)`)].join(', ') || 'none'}`);
    for (const v of entry.volumes ?? []) {
      store.volumes.add(app, v.path);
      say(`       Storage ${v.name} at ${v.path} (kept across deploys, part of the app's backups)`);
    }
    for (const a of entry.addons ?? []) {
      const addon = await this.d.addons.attach(app, a.kind);
      const vars = store.configVars.get(app);
      const mapped = Object.fromEntries(Object.entries(a.env ?? {}).map(([as, from]) => {
        if (vars[from] === undefined) throw new UserError(`catalog/${entry.id}.json: addons ${a.kind} has no ${from} (it sets ${addon.envKeys.join(', ')})`, undefined, 500);
        return [as, vars[from]!];
      }));
      store.configVars.update(app, mapped);
      say(`       Add-on ${a.kind}: ${[...addon.envKeys, ...Object.keys(mapped)].join(', ')}`);
    }
    const image = entry.processes.web!.image;
    store.apps.setCatalog(app, { id: entry.id, images: { [image]: entry.version } });
    return submitDeploy(store, this.d.queue, { app, kind: 'image', ref: image }, {
      description: `Install ${entry.name} ${entry.version} (${image}) from the catalog`, runAs: runAs(entry),
    });
  }
}
