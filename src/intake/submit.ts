// A new deploy and its queued job as one step: a job the queue refused leaves a failed deploy, never a queued one that nothing runs.
import type { Deploy } from '../core/index.ts';
import type { Store, StoredJob } from '../store/index.ts';
import type { DeployJob, DeployQueue } from '../queue/index.ts';

export type NewDeploy = Pick<Deploy, 'app' | 'kind'> & Partial<Pick<Deploy, 'ref' | 'commit' | 'commitAuthor' | 'commitMessage'>>;

/** What the job carries besides the deploy id; config changes (and the add-on they attach) stay in the database only (their values may be secrets). */
export type JobSpec = Omit<DeployJob, 'deployId'> & Partial<Pick<StoredJob, 'configChanges' | 'attachAddon'>>;

/** `prepare` runs between the deploy's record and its job (a push moves its archive to where the build finds it). */
export async function submitDeploy(store: Store, queue: DeployQueue, d: NewDeploy, spec: JobSpec = {}, prepare?: (deploy: Deploy) => void): Promise<Deploy> {
  queue.redis.check(); // Redis known away: refuse before anything is recorded
  const { registryAuth, configChanges, attachAddon, ...rest } = spec;
  const deploy = store.deploys.create(d, { ...rest, ...(configChanges && { configChanges }), ...(attachAddon && { attachAddon }), ...(registryAuth && { registryAuth: true }) });
  try {
    prepare?.(deploy);
    await queue.enqueue(d.app, { deployId: deploy.id, ...rest, ...(registryAuth && { registryAuth }) });
  } catch (e) {
    // Should the job land after all, the pipeline skips a deploy that has failed already.
    store.deploys.update(deploy.id, { status: 'failed', error: (e as Error).message });
    throw e;
  }
  return deploy;
}
