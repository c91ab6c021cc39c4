// Making a rollback release: an earlier release's build and config, as a new release.
import { existsSync } from 'node:fs';
import { UserError, type Release } from '../core/index.ts';
import type { Store } from '../store/index.ts';

/** A new release with an earlier one's build and config (the config vars go back too, as on Heroku). */
export function rollbackRelease(store: Store, current: Release, target: number | undefined, say: (l: string) => void): Release {
  const app = current.app;
  const releases = store.releases.list(app);
  const to = target === undefined
    ? releases.find((r) => r.version < current.version && r.status === 'succeeded')
    : releases.find((r) => r.version === target);
  if (!to) {
    throw new UserError(target === undefined ? `${app} has no earlier release to roll back to` : `${app} has no release v${target}`, `see them with \`minicloud releases ${app}\``);
  }
  if (to.status !== 'succeeded') throw new UserError(`v${to.version} never ran successfully (${to.status}); pick another`, `see \`minicloud releases ${app}\``);
  if (to.artifact.kind === 'dir' && !existsSync(to.artifact.dir)) {
    throw new UserError(`the build of v${to.version} has been pruned`, 'deploy its commit again with git push');
  }
  say(`-----> Rolling back to v${to.version} (no build)`);
  // The app's config becomes v<N>'s once this release is up (the pipeline's keepConfig), not before.
  return store.releases.create({
    app, artifact: to.artifact, commit: to.commit, commitAuthor: to.commitAuthor, commitMessage: to.commitMessage,
    description: `Rollback to v${to.version}`, config: to.config,
  });
}
