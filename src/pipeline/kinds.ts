// The deploy kinds in one table: how each makes its release, whether the release phase runs, what becomes of the config.
import type { Deploy, DeployJob, Release } from '../core/index.ts';
import type { Say } from './deps.ts';
import type { Releases } from './releases.ts';

export interface DeployKind {
  /** How the deploy makes the release it rolls out. */
  release(releases: Releases, deploy: Deploy, job: DeployJob, say: Say): Release | Promise<Release>;
  /** Whether the Procfile's `release:` command runs before the rollout: new code or new config may need it (migrations). */
  releasePhase: boolean;
  /**
   * The app's config once the release is up: `kept` as it is, the deploy's `changes` applied, or the `release`'s own
   * (a rollback takes the config back too). Either way a failed deploy leaves it as it was.
   */
  config: 'kept' | 'changes' | 'release';
}

export const DEPLOY_KINDS: Record<Deploy['kind'], DeployKind> = {
  build: { release: (r, deploy, job, say) => r.build(deploy, job, say), releasePhase: true, config: 'kept' },
  image: { release: (r, deploy, job, say) => r.image(deploy, job, say), releasePhase: true, config: 'kept' },
  release: { release: (r, deploy, job) => r.configChange(deploy, job), releasePhase: true, config: 'changes' },
  rollback: { release: (r, deploy, job, say) => r.rollback(deploy, job, say), releasePhase: false, config: 'release' },
  restart: { release: (r, deploy) => r.current(deploy), releasePhase: false, config: 'kept' },
};
