// A push whose tree has a Compose file and no Dockerfile: the file's config vars, volumes and add-ons applied, then
// its services released as process types, of the pushed build (`build: .`) or of the image they name.
import type { Artifact, ComposePlan, Deploy } from '../core/index.ts';
import { UserError } from '../core/index.ts';
import type { PipelineDeps, Say } from './deps.ts';

/** What the parser returns as the image of services that say `build: .`: the pushed tree, built as any push. */
export const BUILT = 'minicloud/build-of-the-push';

/** The file's config vars (its values win at each push: the file is their source), volumes and add-ons, before the release. */
export async function applyCompose(d: PipelineDeps, app: string, file: string, plan: ComposePlan, say: Say): Promise<void> {
  refuseOnHost(d, file, plan);
  const services = Object.keys(plan.processes).map((t) => (t === 'web' && plan.webService !== 'web' ? `web (${plan.webService})` : t));
  say(`-----> ${file} found (no Dockerfile): ${services.join(', ')}${plan.image === BUILT ? ' on the pushed build' : ` on ${plan.image}`}`);
  if (Object.keys(plan.env).length) {
    d.store.configVars.update(app, plan.env);
    say(`       Config from ${file}: ${Object.keys(plan.env).join(', ')}`);
  }
  const have = new Set(d.store.volumes.list(app).map((v) => v.path));
  for (const v of plan.volumes) {
    if (have.has(v.path)) continue;
    d.store.volumes.add(app, v.path);
    say(`       Volume ${v.name} at ${v.path} (kept across deploys, part of the app's backups)`);
  }
  if (plan.addons.length) {
    if (!d.provisionKinds) throw new UserError(`${file} maps services to add-ons, and this minicloud has none`, 'remove x-minicloud.addon, or set the service up by hand with config vars');
    await d.provisionKinds(app, plan.addons.map((a) => a.kind), say);
  }
}

/**
 * Host processes run the push's build only: a service naming an image, or a health check only an engine runs
 * (`pg_isready` inside a container), is refused before anything is applied, naming the service.
 */
function refuseOnHost(d: PipelineDeps, file: string, plan: ComposePlan): void {
  if (d.images) return;
  const hint = 'start minicloud where a Docker engine answers (or set DOCKER_HOST), or give the service `build: .`; for PostgreSQL, MariaDB, Redis or RabbitMQ, `x-minicloud: { addon: <kind> }` uses minicloud\'s shared server';
  const name = (t: string) => (t === 'web' ? plan.webService : t);
  const [type, own] = Object.entries(plan.services)[0] ?? [];
  if (plan.image !== BUILT) throw new UserError(`${file}: services.${plan.webService}.image: ${plan.image} is an image, and this minicloud runs apps as host processes, which run the push's build only`, hint);
  if (type && own) throw new UserError(`${file}: services.${name(type)}.image: ${own.image} is an image, and this minicloud runs apps as host processes, which run the push's build only`, hint);
  const checked = Object.keys(plan.manifest.checks ?? {})[0];
  if (checked) throw new UserError(`${file}: services.${name(checked)}.healthcheck: the engine runs this test inside the container, and this minicloud runs apps as host processes`, 'remove the healthcheck (and the depends_on that waits for it), or run minicloud with a Docker engine');
}

/**
 * The build's artifact run as the file says: its services' commands (none: the build's web command), port and
 * health checks, and the services with images of their own imported for the release.
 */
export async function composeArtifact(d: PipelineDeps, app: string, built: Artifact, plan: ComposePlan, version: number, say: Say): Promise<Artifact> {
  const web = built.processes.web;
  const processes = Object.fromEntries(Object.entries(plan.processes).filter(([type]) => !plan.services[type]).map(([type, cmd]) => {
    if (cmd || web) return [type, (cmd || web)!];
    throw new UserError(`the build has no web command for ${type}`, 'give the service a command in the Compose file');
  }));
  const own = Object.keys(plan.services).length && d.images ? await d.images.services({ app, version, services: plan.services, processes: plan.processes, log: say }) : null;
  return {
    ...built, processes: { ...processes, ...own?.processes }, manifest: { ...built.manifest, ...plan.manifest },
    ...(own && { services: own.services }),
  };
}

/** Services naming an image: it is imported (pulled, or the engine's own copy) and run with the file's processes. */
export async function importCompose(d: PipelineDeps, deploy: Deploy, plan: ComposePlan, version: number, say: Say): Promise<Artifact> {
  if (!d.images) throw new UserError('the Compose file names an image, and this minicloud runs apps as host processes', 'start minicloud where a Docker engine answers, or use `build: .`');
  return d.images.import({ app: deploy.app, image: plan.image, version, log: say, runAs: { processes: plan.processes, manifest: plan.manifest, services: plan.services } });
}
