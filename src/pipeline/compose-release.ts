// A push whose tree has a Compose file and no Dockerfile: the file's config vars, volumes and add-ons applied, then
// its services released as process types, of the pushed build (`build: .`) or of the image they name.
import type { Artifact, ComposePlan, Deploy } from '../core/index.ts';
import { UserError } from '../core/index.ts';
import type { PipelineDeps, Say } from './deps.ts';

/** What the parser returns as the image of services that say `build: .`: the pushed tree, built as any push. */
export const BUILT = 'minicloud/build-of-the-push';

/** The file's config vars (its values win at each push: the file is their source), volumes and add-ons, before the release. */
export async function applyCompose(d: PipelineDeps, app: string, file: string, plan: ComposePlan, say: Say): Promise<void> {
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

/** The build's artifact run as the file says: its services' commands (none: the build's web command), port and health check. */
export function composeArtifact(built: Artifact, plan: ComposePlan): Artifact {
  const own = built.processes.web;
  const processes = Object.fromEntries(Object.entries(plan.processes).map(([type, cmd]) => {
    if (cmd || own) return [type, (cmd || own)!];
    throw new UserError(`the build has no web command for ${type}`, 'give the service a command in the Compose file');
  }));
  return { ...built, processes, manifest: { ...built.manifest, ...plan.manifest } };
}

/** Services naming an image: it is imported (pulled, or the engine's own copy) and run with the file's processes. */
export async function importCompose(d: PipelineDeps, deploy: Deploy, plan: ComposePlan, version: number, say: Say): Promise<Artifact> {
  if (!d.images) throw new UserError('the Compose file names an image, and this minicloud runs apps as host processes', 'start minicloud where a Docker engine answers, or use `build: .`');
  return d.images.import({ app: deploy.app, image: plan.image, version, log: say, runAs: { processes: plan.processes, manifest: plan.manifest } });
}
