// Steps between a build and its rollout: the release phase, and making a rollback release.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { UserError, type Release } from '../core/index.ts';
import type { Runtime } from '../runtime/index.ts';
import type { Store } from '../store/index.ts';

/** Runs the Procfile's `release:` command once, in the new release, before any traffic reaches it. */
export async function runReleasePhase(runtime: Runtime, release: Release, volumes: Array<{ path: string; hostDir: string }>, say: (l: string) => void): Promise<void> {
  const command = release.artifact.processes.release;
  if (!command) return;
  say(`-----> Running release command: ${command}`);
  const code = await runtime.run(
    { id: randomUUID(), app: release.app, release: release.version, type: 'release', command, artifact: release.artifact, env: release.config, volumes },
    (line) => say(`       ${line}`),
  );
  if (code !== 0) {
    throw new UserError(`the release command failed with exit code ${code}; v${release.version} was not deployed`, 'fix it (see its output above) and push again');
  }
}

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
