// GitHub commit statuses for previews GitHub started: pending when queued, then the preview's URL or why it failed.
import type { Deploy, Logger } from '../core/index.ts';
import { finalStatus, postStatus, type PreviewHooks } from '../intake/index.ts';
import type { DeployLog } from '../log/index.ts';
import type { GithubLink } from '../store/index.ts';
import type { PreviewsService } from '../apps/index.ts';
import type { Lifecycle } from './lifecycle.ts';

/** The preview hooks GitHub deliveries use: the previews service, and a commit status that follows each deploy. */
export function githubPreviewHooks(previews: PreviewsService, o: { apiUrl: string; log: DeployLog; appUrl: (app: string) => string; logger: Logger; life: Lifecycle }): PreviewHooks {
  const stop = new AbortController();
  o.life.add('preview commit statuses', () => stop.abort());
  const follow = async (deploy: Deploy, link: GithubLink) => {
    const url = o.appUrl(deploy.app);
    await postStatus(o.apiUrl, link, deploy.commit!, { state: 'pending', targetUrl: url, description: 'building the preview' });
    for await (const e of o.log.follow(deploy.id, 0, stop.signal)) {
      if (e.type !== 'end') continue;
      await postStatus(o.apiUrl, link, deploy.commit!, finalStatus(e, url));
      return;
    }
  };
  return {
    wants: (app, branch) => previews.wants(app, branch),
    check: (app, branch) => previews.check(app, branch),
    ensure: (app, branch) => previews.ensure(app, branch),
    destroy: (app, branch) => previews.destroy(app, branch),
    started: (deploy, link) => {
      if (!link.token || !deploy.commit) return;
      void follow(deploy, link).catch((e: unknown) => o.logger.warn(`${deploy.app}: the GitHub commit status was not set: ${(e as Error).message}`));
    },
  };
}
