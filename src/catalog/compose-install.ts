// `apps:create <name> --compose <file>`: a Compose file's app made in one go, as a catalog entry is (config vars,
// volumes, add-ons), and released from its image through the image-deploy path with its services as process types.
// The file is parsed and checked whole (src/build/compose.ts, handed in by the composition root) before anything is made.
import type { AddonsService } from '../addons/index.ts';
import type { AppsService } from '../apps/index.ts';
import { UserError, type ComposePlan, type Deploy } from '../core/index.ts';
import { submitDeploy } from '../intake/index.ts';
import type { DeployQueue } from '../queue/index.ts';
import type { Store } from '../store/index.ts';

export interface ComposeDeps {
  store: Store;
  apps: AppsService;
  addons: AddonsService;
  queue: DeployQueue;
  runtime: () => 'docker' | 'process' | 'swarm';
  /** parseCompose: the file's plan, every refusal a UserError naming the key. */
  parse: (text: string, readFile: (path: string) => string | null, o: { file: string }) => ComposePlan;
  /** composeEnvFiles: the env_file paths the file names (checked to be inside its directory). */
  envFiles: (text: string, file: string) => string[];
}

export interface ComposeRequest {
  name: string;
  /** The Compose file's text and its name (errors name it). */
  compose: string;
  file: string;
  /** The env_files' texts by the paths the file gives, read by the client beside the file. */
  envFiles: Record<string, string>;
}

export class ComposeInstaller {
  constructor(private readonly d: ComposeDeps) {}

  /** The env_file paths a client must send along (read beside the Compose file, never outside its directory). */
  envFilesOf(compose: string, file: string): string[] {
    return this.d.envFiles(compose, file);
  }

  /** Checks the whole file first (nothing is made for a refused one), makes the app, queues its first release; an error undoes the app. */
  async install(req: ComposeRequest, say: (line: string) => void): Promise<Deploy> {
    if (this.d.runtime() === 'process') {
      throw new UserError('a Compose file runs images, and this minicloud runs apps as host processes', 'Compose files need the Docker runtime: start minicloud where a Docker engine answers (or set DOCKER_HOST)');
    }
    const plan = this.d.parse(req.compose, (p) => (Object.hasOwn(req.envFiles, p) ? req.envFiles[p]! : null), { file: req.file });
    const app = (await this.d.apps.create(req.name)).name;
    try {
      return await this.provision(app, plan, req.file, say);
    } catch (e) {
      // Nothing half-made stays: the add-ons made so far go with the app.
      await this.d.apps.destroy(app, app).catch(() => {});
      throw e;
    }
  }

  private async provision(app: string, plan: ComposePlan, file: string, say: (line: string) => void): Promise<Deploy> {
    const { store } = this.d;
    const types = Object.keys(plan.processes);
    say(`-----> Creating ${app} from ${file}: ${types.map((t) => (t === 'web' && plan.webService !== 'web' ? `web (${plan.webService})` : t)).join(', ')} on ${plan.image}`);
    store.configVars.update(app, plan.env);
    say(`       Config: ${Object.keys(plan.env).join(', ') || 'none'}`);
    for (const v of plan.volumes) {
      store.volumes.add(app, v.path);
      say(`       Volume ${v.name} at ${v.path} (kept across deploys, part of the app's backups)`);
    }
    for (const a of plan.addons) {
      const addon = await this.d.addons.attach(app, a.kind);
      say(`       Service ${a.service} is minicloud's shared ${a.kind}: ${addon.envKeys.join(', ')}`);
    }
    for (const [t, deps] of Object.entries(plan.manifest.waitFor ?? {})) say(`       ${t} starts once ${deps.join(' and ')} ${deps.length > 1 ? 'pass their' : 'passes its'} health check`);
    return submitDeploy(store, this.d.queue, { app, kind: 'image', ref: plan.image }, {
      description: `Create from ${file} (${plan.image})`, runAs: { processes: plan.processes, manifest: plan.manifest, services: plan.services },
    });
  }
}
