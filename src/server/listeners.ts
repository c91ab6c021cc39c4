// The listeners: the API (and git) on MINICLOUD_API_PORT, then the edge (the router) in front of it and the apps.
// Both stop last (group `last`): the ports are what a next minicloud process waits for.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserError, type Logger } from '../core/index.ts';
import { closeApi, createApi, hookToken, writeHookConfig } from '../api/index.ts';
import { cliTarball, composeEnvFiles, memAvailableMb, parseCompose } from '../build/index.ts';
import { CatalogInstaller, CatalogUpgrader, ComposeInstaller } from '../catalog/index.ts';
import { parseTrustedProxies } from '../../proxy/edge/trust.ts';
import { adminUrl, caCertified, urlHost } from './admin-edge.ts';
import type { Base } from './base.ts';
import type { Config } from './config.ts';
import { startEdge, type Edge } from './edge.ts';
import type { Lifecycle } from './lifecycle.ts';
import { adminRoute, apiAddress, routesFromState } from './routes-from-state.ts';
import type { Parts } from './parts.ts';
import { serverMoves } from './moves.ts';
import { startDisk } from './disk.ts';

/** How long the API lets pushes in progress finish after its port is freed (it relays them to their end). */
const PUSH_HANDOVER_MS = 15 * 60_000;

export interface Listeners {
  apiPort: number;
  edge: Edge;
  /** https://admin.<domain>: what people are told to use; null on a localhost domain or with HTTPS off. */
  publicUrl: string | null;
  /** The route table made again from the store: the dashboard's route first, then the apps'. */
  refreshRoutes(): void;
}

export async function startListeners(cfg: Config, base: Base, parts: Parts, log: Logger, life: Lifecycle): Promise<Listeners> {
  const { p, store, runtime, engine, isolation } = base;
  const { formation, table, certs, metrics, router } = parts;
  const publicUrl = adminUrl(cfg, cfg.https.port);
  const hook = hookToken(p.hookConfig);
  const routerProof = randomBytes(32).toString('base64url'); // the router's requests to the API carry it (client addresses)
  // minicloud backup / restore
  const moves = serverMoves({ dataDir: cfg.dataDir, paths: p, store, backups: parts.backups, git: parts.git, service: parts.service, addons: parts.addons, queue: parts.queue, log: base.deployLog, env: process.env, logger: log.child('moves'), certs });
  // Rebuilds the route table, then the certificates planned from it. The table holds the API's own route, so this is
  // set once the API listens (below); the API is made first and asks through refreshApp.
  let routesChanged = () => {};
  // The API's request after a change to an app's domains or router settings: it answers once the router serves them.
  const refreshApp = async () => { routesChanged(); await router.settled(); };
  const api = createApi({
    moves, disk: startDisk(cfg, base, log.child('disk'), life), logger: log.child('api'), ...parts.serviceDeps, baseDomain: cfg.domain, timeouts: cfg.apiTimeouts, consoleIdleMs: cfg.consoleIdleMs, certs, refreshRoutes: refreshApp,
    service: parts.service, previews: parts.previews, processes: parts.processes, nodes: parts.nodes, swarm: parts.swarm, addons: parts.addons, catalog: catalogInstaller(cfg, base, parts), upgrades: catalogUpgrader(cfg, base, parts), compose: composeInstaller(base, parts), backups: parts.backups, alerts: parts.alerts.service, push: parts.push, github: parts.github, runtime, cron: parts.cronRunner,
    routerLog: async (app: string) => { await router.flush(); return join(p.logs, app, 'router.log'); }, edge: router, appLog: (app: string) => join(p.logs, app, 'app.log'), metrics, hookToken: hook,
    status: () => ({
      runtime: runtime.name, docker: engine?.version ?? null, builds: { concurrency: cfg.buildConcurrency, memoryMb: engine || isolation.confine?.enforcesLimits ? cfg.buildMemoryMb : null },
      defaultMemoryMb: cfg.appMemoryMb, defaultCpu: cfg.appCpu, defaultPids: cfg.appPids, isolation: { mode: isolation.mode, summary: isolation.summary },
      limits: engine ? { mechanism: 'containers', enforced: true, summary: 'each instance a container with its memory, CPU and process limits' }
        : { mechanism: isolation.confine?.kind ?? 'process groups', enforced: isolation.confine?.enforcesLimits ?? false, summary: isolation.confine?.summary ?? 'process groups' },
    }),
    gitHandler: parts.git.handle, routerProof, trustedProxy: parseTrustedProxies(cfg.trustedProxies),
    publicUrl, cliTarball: once(cliTarball), hsts: caCertified(() => certs.report('admin').domains.some((d) => d.status === 'valid')),
  });
  const apiPort = await listen(api, cfg.apiPort, cfg.bind);
  life.add('API', () => closeApi(api, PUSH_HANDOVER_MS, (n) => log.info(`Handing ${n} push(es) in progress over to the next minicloud process; exiting when they end`)),
    { group: 'last', timeoutMs: Infinity });
  writeHookConfig(p.hookConfig, { url: `http://${urlHost(apiAddress(cfg.bind))}:${apiPort}`, token: hook });

  // admin.<domain>: the dashboard, through the router to the API's port.
  const dashboard = adminRoute(cfg.domain, { host: apiAddress(cfg.bind), port: apiPort }, publicUrl !== null, routerProof);
  const refreshRoutes = () => table.replace([dashboard, ...routesFromState(store, cfg.domain)]);
  routesChanged = () => { refreshRoutes(); certs.sync(); };
  formation.on('changed', routesChanged);

  // The routes as the database has them (instances alive while minicloud was away are still 'up'): a router
  // daemon that kept serving gets the same table, and serves on unchanged while restore() catches up.
  refreshRoutes();
  const edge = await startEdge({ cfg, p, table, certs, sleeper: parts.sleeper, metrics, link: router, say: log.child('router').info });
  // Only minicloud's connection to it: the daemon serves on, so apps stay reachable while minicloud is away.
  life.add('router link', () => edge.close(), { group: 'last' });
  return { apiPort, edge, publicUrl, refreshRoutes };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE'
      ? new UserError(`port ${port} on ${host} is in use, so the API cannot listen there`, 'stop what listens there (another minicloud?), or set MINICLOUD_API_PORT')
      : e));
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** Made on first use and kept; a failed attempt is tried again next time. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | null = null;
  return () => (made ??= make().catch((e: unknown) => { made = null; throw e; }));
}

/** The catalog's entries become ordinary apps, released from their pinned images (Docker runtime). */
function catalogInstaller(cfg: Config, { store, runtime }: Base, parts: Parts): CatalogInstaller {
  return new CatalogInstaller({ store, apps: parts.service, addons: parts.addons, queue: parts.queue, runtime: () => runtime.name, memAvailableMb, ...(cfg.catalogDir && { dir: cfg.catalogDir }) });
}

/** apps:upgrade: a backup, then the entry's other version through the image-deploy path. */
function catalogUpgrader(cfg: Config, { store, deployLog }: Base, parts: Parts): CatalogUpgrader {
  return new CatalogUpgrader({
    store, queue: parts.queue, backup: (app) => parts.backups.create(app, 'upgrade'), follow: (id, signal) => deployLog.follow(id, 0, signal),
    ...(cfg.catalogDir && { dir: cfg.catalogDir }),
  });
}

/** Compose files become ordinary apps: one image, their services as process types (src/build/compose.ts). */
function composeInstaller({ store, runtime }: Base, parts: Parts): ComposeInstaller {
  return new ComposeInstaller({
    store, apps: parts.service, addons: parts.addons, queue: parts.queue, runtime: () => runtime.name,
    parse: (text, readFile, o) => parseCompose(text, readFile, o), envFiles: (text, file) => composeEnvFiles(text, file),
  });
}
