// Config vars as Swarm secrets: a service's spec (what `docker service inspect` shows to anyone on a manager) holds
// no value. Each instance's service gets a secret of its own, made from its release's config just before the service
// and removed with it: a file of `export KEY='value'` lines the container's shell sources before it execs the
// command. Swarm keeps secrets encrypted in its Raft log and hands them only to the nodes running such a task, in a
// tmpfs under /run/secrets.
import { randomBytes } from 'node:crypto';
import type Dockerode from 'dockerode';
import { UserError } from '../core/index.ts';

/** Where the task's shell finds its config: sourced (`. FILE`) before `exec <command>`. */
export const ENV_FILE = '/run/secrets/minicloud-env';
/** Set by minicloud, not secret, useful to see in the spec: they stay in the service's Env. */
export const PLAIN_ENV = new Set(['PORT', 'DYNO', 'STORAGE_DIR']);

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Swarm's limit on a secret's size (bytes). */
const MAX_BYTES = 512_000;
const status = (e: unknown) => (e as { statusCode?: number }).statusCode;

/** Lines a POSIX shell sources: each value single-quoted (a ' inside as '\''), so nothing in it is expanded. */
export function envScript(env: Record<string, string>): string {
  // A first line of its own: Swarm takes no empty secret, and an app may have no config at all.
  return '# minicloud: the config vars of this instance\n' + Object.entries(env).map(([k, v]) => {
    if (!NAME.test(k)) throw new Error(`config var name ${JSON.stringify(k)} cannot be exported by a shell`);
    return `export ${k}='${v.replaceAll("'", "'\\''")}'\n`;
  }).join('');
}

/** The service's secret reference: the file readable by the image's user only when its uid is known. */
export function secretRef(secret: { id: string; name: string }, user: { uid: number; gid: number } | null): NonNullable<Dockerode.ContainerSpec['Secrets']>[number] {
  return {
    SecretID: secret.id, SecretName: secret.name,
    // A named or root user: readable inside the container (only the app's own processes run there).
    File: { Name: ENV_FILE.split('/').pop() as string, UID: String(user?.uid ?? 0), GID: String(user?.gid ?? 0), Mode: user ? 0o400 : 0o444 },
  };
}

/** Makes the secret of one service-to-be (its name from the service's, with a random tail; labelled with the app). */
export async function createEnvSecret(docker: Dockerode, service: string, app: string, release: number, env: Record<string, string>): Promise<{ id: string; name: string }> {
  const name = `${service.slice(0, 50)}-${randomBytes(4).toString('hex')}`;
  const data = Buffer.from(envScript(env));
  if (data.length >= MAX_BYTES) throw new UserError(`${app}'s config vars add up to ${Math.ceil(data.length / 1024)} KiB; on a swarm they travel as a secret, which Swarm caps at 500 KB`, 'move large values into files of the app or its storage, and keep config vars short');
  const made = (await docker.createSecret({
    Name: name, Labels: { 'minicloud.app': app, 'minicloud.release': String(release) }, Data: data.toString('base64'),
  })) as { id?: string; ID?: string };
  return { id: (made.id ?? made.ID) as string, name };
}

/** Removes secrets by id (a service just removed no longer uses them); gone already is fine. */
export async function removeSecrets(docker: Dockerode, ids: string[]): Promise<void> {
  await Promise.all(ids.map((id) => docker.getSecret(id).remove().catch((e: unknown) => { if (status(e) !== 404) throw e; })));
}

/** Every secret of the app no service uses (the app is gone; or what a crash between secret and service left). */
export async function sweepSecrets(docker: Dockerode, app: string): Promise<void> {
  const mine = (await docker.listSecrets({ filters: { label: [`minicloud.app=${app}`] } })) as Array<{ ID: string }>;
  // One in use is refused by the engine: it stays with its service.
  await Promise.all(mine.map((s) => docker.getSecret(s.ID).remove().catch(() => {})));
}

/** Removes a service, then its config secret (which the engine keeps while a service refers to it). */
export async function removeService(docker: Dockerode, service: string): Promise<void> {
  let secrets: string[];
  try {
    const svc = (await docker.getService(service).inspect()) as { Spec?: { TaskTemplate?: { ContainerSpec?: Dockerode.ContainerSpec } } };
    secrets = svc.Spec?.TaskTemplate?.ContainerSpec?.Secrets?.flatMap((x) => x.SecretID ?? []) ?? [];
  } catch (e) {
    if (status(e) === 404) return;
    throw e;
  }
  await docker.getService(service).remove().catch((e: unknown) => { if (status(e) !== 404) throw e; });
  for (let attempt = 0; secrets.length; attempt++) {
    try {
      await removeSecrets(docker, secrets);
      return;
    } catch {
      // Still referred to for a moment after its service went: tried again; past that, the app's destroy sweeps it.
      if (attempt >= 5) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
