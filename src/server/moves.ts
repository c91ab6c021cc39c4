// Wiring of `minicloud backup` / `restore` (backups/server-*.ts) to the parts they use: the apps service, add-ons,
// the deploy queue and its log. listeners.ts hands the result to the API.
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { isAddonKind, providerFor, type AddonsService } from '../addons/index.ts';
import type { AppsService } from '../apps/index.ts';
import type { ServerMovesDeps } from '../api/index.ts';
import type { BackupsService } from '../backups/index.ts';
import type { Paths } from './config.ts';
import { CHECKOUT, UserError, type Logger } from '../core/index.ts';
import { submitDeploy, type GitServer } from '../intake/index.ts';
import type { DeployLog } from '../log/index.ts';
import { sourceTar } from '../pipeline/index.ts';
import type { DeployQueue } from '../queue/index.ts';
import type { Store } from '../store/index.ts';

const VERSION = (JSON.parse(readFileSync(join(CHECKOUT, 'package.json'), 'utf8')) as { version: string }).version;

export interface MovesParts {
  dataDir: string; paths: Paths; store: Store; backups: BackupsService; git: GitServer; service: AppsService; addons: AddonsService;
  queue: DeployQueue; log: DeployLog; env: NodeJS.ProcessEnv; logger: Logger;
  /** The router's certificates: restored ones are served at once. */
  certs?: { reload(): void };
}

export function serverMoves(m: MovesParts): ServerMovesDeps {
  const paths = { dataDir: m.dataDir, certs: m.paths.certs, staging: join(m.dataDir, 'moves'), backups: m.paths.backups, builds: m.paths.builds };
  const repoDir = (app: string) => m.git.repoDir(app);
  return {
    backup: { store: m.store, backups: m.backups, paths, version: VERSION, repoDir, log: m.logger },
    restore: {
      store: m.store, backups: m.backups, paths, repoDir,
      createApp: async (name) => { await m.service.create(name); },
      checkAddon: async (kind) => {
        if (!isAddonKind(kind)) throw new UserError(`the archive has an add-on of kind ${JSON.stringify(kind.slice(0, 40))}, which this minicloud does not know; nothing was changed`, 'upgrade minicloud here first', 409);
        const p = providerFor(kind, m.env); // throws when its admin URL is not set here
        try { await p.check(); } finally { await p.close(); }
      },
      attachAddon: (app, kind) => m.addons.attachRestored(app, kind),
      certsRestored: () => m.certs?.reload(),
      redeploy: async (app, what, say) => {
        const deploy = what.kind === 'image'
          ? await submitDeploy(m.store, m.queue, { app, kind: 'image', ref: what.image })
          : await submitDeploy(m.store, m.queue, { app, kind: 'build', ref: what.ref, commit: what.commit, commitAuthor: what.author, commitMessage: what.message },
            what.fetchFrom ? { fetchFrom: what.fetchFrom } : {},
            (d) => { if (what.sourceTar) renameSync(what.sourceTar, sourceTar(m.paths.sources, d.id)); });
        for await (const e of m.log.follow(deploy.id, 0)) {
          if (e.type === 'line') say(e.text);
          else break;
        }
        return m.store.deploys.get(deploy.id)!;
      },
    },
  };
}
