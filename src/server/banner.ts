// The start-up banner: where minicloud answers, what runs the apps, how they are kept apart, where the data is.
import type { Logger } from '../core/index.ts';
import { loopbackWarnings } from '../addons/index.ts';
import { edgeBanner } from './admin-edge.ts';
import type { Base } from './base.ts';
import type { Config } from './config.ts';
import { httpsBanner } from './https.ts';
import type { Listeners } from './listeners.ts';

/** Its first line, "minicloud is up", is what scripts and tests wait for. */
export function announce(cfg: Config, { p, admin, engine, isolation, runtime, registry }: Base, { apiPort, edge, publicUrl }: Listeners, log: Logger): void {
  for (const line of edgeBanner(cfg, { api: apiPort, http: edge.port }, publicUrl)) log.info(line);
  log.info(runtime.name === 'swarm' ? `Runtime: Docker Swarm ${engine?.version} (a service per instance, images from ${registry?.own ? `minicloud's registry on ${registry.host}` : registry?.host ?? 'this node only: no registry yet'})` : engine ? `Runtime: Docker ${engine.version} (containers on network ${cfg.dockerNetwork})` : 'Runtime: host processes (no Docker engine answered; MINICLOUD_RUNTIME=docker requires one)');
  if (engine) for (const w of loopbackWarnings(process.env)) log.warn(`Warning: ${w}`);
  log.info(`Isolation: ${isolation.summary}`);
  log.info(httpsBanner(cfg, edge.httpsPort));
  log.info(`Data in ${cfg.dataDir}`);
  // The token itself never goes to standard output (journald, docker logs keep it): only where to read it.
  if (!cfg.token) log.info(`Admin token: ${admin.created ? 'new, ' : ''}in ${p.adminToken} (mode 0600; \`cat\` it to log in)`);
}
