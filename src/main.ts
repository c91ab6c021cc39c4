// The composition root: reads settings, starts Redis if needed, wires the parts and starts the listeners.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { isUserError, type Deploy } from './core/index.ts';
import { loadConfig, paths } from './config.ts';
import { startLocalRedis, type LocalRedis } from './local-redis.ts';
import { adminToken, hookToken, writeHookConfig } from './tokens.ts';
import { adminRoute, apiAddress, routesFromState } from './routes-from-state.ts';
import { AccessLog } from './access-log.ts';
import { Store } from './store/index.ts';
import { DeployLog } from './log/index.ts';
import { BuildSlots, cliTarball, DockerBuilder, HostBuilder, ImageImporter, loadBuildpacks, killRunningSteps, type Builder } from './build/index.ts';
import { DockerRuntime, ProcessRuntime, connectDocker, runtimeChoice, type Runtime } from './runtime/index.ts';
import { Formation, Pipeline, Sleeper, sourceTar } from './pipeline/index.ts';
import { CronScheduler, DeployQueue, connectionFromUrl } from './queue/index.ts';
import { QueueReconciler } from './reconcile-queue.ts';
import { CronRunner } from './pipeline/cron-runner.ts';
import { GitServer, GithubIntake, PushIntake, fetchCommit } from './intake/index.ts';
import { AddonsService, AppsService, ProcessService, appDirs, closeApi, createApi, hashToken, BOOT_TOKEN } from './api/index.ts';
import { RouteTable, type Route } from './routes/index.ts';
import { BackupScheduler, BackupsService } from './backups/index.ts';
import { startRouter, type RouterOptions } from '../proxy/index.ts';
import { parseTrustedProxies } from '../proxy/edge/trust.ts';
import { startRouterCluster } from '../proxy/cluster.ts';
import { Metrics } from './metrics/index.ts';
import { adminUrl, bindWarning, caCertified, edgeBanner, urlHost } from './admin-edge.ts';
import { loopbackWarnings } from './addons/index.ts';
import { httpsBanner, routerHttps, startCertificates } from './https.ts';
import { setUpIsolation } from './isolation.ts';
import { serverMoves } from './server-moves.ts';

const say = (s: string) => console.log(s);
/** Made on first use and kept; a failed attempt is tried again next time. */
const once = <T>(make: () => Promise<T>) => {
  let made: Promise<T> | null = null;
  return () => (made ??= make().catch((e: unknown) => { made = null; throw e; }));
};

async function main(): Promise<void> {
  const cfg = loadConfig();
  const p = paths(cfg.dataDir);
  mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
  // At every start, not only on creation: tokens, keys and the database live here.
  chmodSync(cfg.dataDir, 0o700);
  const wide = bindWarning(cfg, adminUrl(cfg, cfg.https.port));
  if (wide) console.warn(wide);

  let localRedis: LocalRedis | null = null;
  const redisUrl = cfg.redisUrl ?? (localRedis = await startLocalRedis(p.redis, say)).url;

  const store = new Store(p.db);
  const admin = adminToken(cfg.token, p.adminToken);
  // The admin token is whatever MINICLOUD_TOKEN (else admin.token) is now: a changed one replaces the old.
  store.tokens.setBoot(BOOT_TOKEN, hashToken(admin.token));
  const checkToken = (t: string) => store.tokens.byHash(hashToken(t)) !== null; // git's own check; the API's gate decides roles

  const portSuffix = cfg.httpPort === 80 ? '' : `:${cfg.httpPort}`;
  const appUrl = (app: string) => `http://${app}.${cfg.domain}${portSuffix}`;
  const log = new DeployLog(store, redisUrl);
  // Docker when an engine answers (or MINICLOUD_RUNTIME=docker); host processes otherwise.
  const engine = await connectDocker(runtimeChoice(cfg.runtime));
  const isolation = setUpIsolation(cfg, p, engine ? 'docker' : 'process');
  await isolation.guard?.sweep(); // firewall rules a killed predecessor left for ports nobody listens on now
  const runtime: Runtime = engine
    ? new DockerRuntime(engine.docker, { logDir: p.logs, network: cfg.dockerNetwork, defaultMemoryMb: cfg.appMemoryMb, defaultCpu: cfg.appCpu, defaultPids: cfg.appPids })
    : new ProcessRuntime(p.logs, { users: isolation.users, guard: isolation.guard });
  const innerBuilder: Builder = engine
    ? new DockerBuilder(engine.docker, { memoryMb: cfg.buildMemoryMb, timeoutMs: cfg.buildStepTimeoutMs, caBundle: cfg.buildCaBundle, keepImages: cfg.keepImages, network: `${cfg.dockerNetwork}-build` })
    : new HostBuilder({ cacheDir: p.cache, stepTimeoutMs: cfg.buildStepTimeoutMs, caBundle: cfg.buildCaBundle, users: isolation.users });
  const builder = new BuildSlots(innerBuilder, { concurrency: cfg.buildConcurrency, minFreeMb: cfg.buildMinFreeMb });
  const formation = new Formation(store, runtime, {
    startTimeoutMs: cfg.startTimeoutMs, drainMs: cfg.drainMs, stopGraceMs: 10_000, volumesDir: p.volumes,
    healthIntervalMs: cfg.healthIntervalMs, healthFailures: cfg.healthFailures,
  });
  const cronRunner = new CronRunner({ store, runtime, appendLog: (app, line) => runtime.appendLog(app, line), volumes: (app) => formation.instances.volumes(app) });
  const cron = new CronScheduler(connectionFromUrl(redisUrl), (job) => cronRunner.run(job), cfg.redisPrefix);
  const fetchSource = (deploy: Deploy, repo: string, tarFile: string, say: (l: string) => void) =>
    fetchCommit({ cacheDir: p.github, app: deploy.app, repo, base: cfg.githubUrlBase, sha: deploy.commit!, token: store.getGithubLink(deploy.app)?.token ?? null, tarFile, say });
  const pipeline = new Pipeline({
    store, log, builder, buildpacks: loadBuildpacks(), formation, sourcesDir: p.sources, buildsDir: p.builds, maxSourceBytes: cfg.maxSourceMb * 1024 * 1024, appUrl, fetchSource, locksDir: join(cfg.dataDir, 'locks'),
    ...(engine && { images: new ImageImporter(engine.docker) }),
    provision: (app, needs, say): Promise<void> => addons.provisionNeeds(app, needs, say),
    syncCron: (app, entries) => cron.sync(app, entries),
  });
  const queue = new DeployQueue(connectionFromUrl(redisUrl), (job) => pipeline.run(job.deployId, job), cfg.redisPrefix);
  const git = new GitServer({ reposDir: p.repos, hookConfigFile: p.hookConfig, checkToken, maxPushBytes: cfg.maxSourceMb * 1024 * 1024, appExists: (a) => store.getApp(a) !== null });
  const github = new GithubIntake(store, queue, { cacheDir: p.github, warn: say });
  const push = new PushIntake(store, queue, { incoming: p.incoming, sources: p.sources, sourceTar: (id) => sourceTar(p.sources, id) });
  const deps = { store, git, queue, log, formation, appUrl, appDirs: appDirs(p), beforeDestroy: async (app: string): Promise<void> => { await cron.forget(app); await addons.destroyAll(app); metrics.forget(app); await builder.prune(app, []).catch(() => {}); await isolation.users?.remove(app); } };
  const service = new AppsService(deps);
  const addons: AddonsService = new AddonsService({ store, service, env: process.env });
  const sleeper = new Sleeper(store, formation, formation);
  const processes = new ProcessService({ store, formation, sleeper, runtime, service });
  const backups = new BackupsService({
    store, dir: p.backups, env: process.env, volumes: (app) => formation.instances.volumes(app), say,
    restart: (app) => service.runAndWait(app, 'restart'),
  });
  const backupScheduler = new BackupScheduler(store, backups, { say });
  Object.assign(deps, { backups }); // the API's backup routes read it (backupsRoutes takes an optional `backups`)

  const table = new RouteTable();
  const accessLog = new AccessLog(p.logs);
  let dashboardRoute: Route | null = null; // admin.<domain>: the dashboard, once the API listens
  const refreshRoutes = () => table.replace([...(dashboardRoute ? [dashboardRoute] : []), ...routesFromState(store, cfg.domain)]);
  formation.on('changed', refreshRoutes);
  // HTTPS (certs): a certificate for every name in the route table; orders re-planned on every route change.
  const certs = await startCertificates(cfg, p.certs, table, store, say);
  formation.on('changed', () => certs.sync());
  formation.on('crash', (inst: { app: string; type: string }, code: number | null, delayMs: number) =>
    say(`${inst.app}: ${inst.type} exited (code ${code ?? 'signal'}); restarting in ${Math.round(delayMs / 1000)} s`));
  formation.on('error', (e: unknown) => console.error('formation:', e));
  formation.on('unhealthy', (inst: { app: string; type: string }, reason: string) => say(`${inst.app}: ${inst.type} failed ${cfg.healthFailures} health checks in a row (${reason}); restarting it`));
  formation.on('slept', (app: string) => say(`${app}: asleep after ${store.getApp(app)?.sleepAfterSeconds} s without requests`));
  formation.on('woke', (app: string) => say(`${app}: woken by a request`));

  // https://admin.<domain>: what people are told to use; null on a localhost domain or with HTTPS off.
  const publicUrl = adminUrl(cfg, cfg.https.port);
  const metrics = new Metrics({ instances: () => store.listInstances() });
  const hook = hookToken(p.hookConfig);
  const routerProof = randomBytes(32).toString('base64url'); // the router's requests to the API carry it (client addresses)
  const moves = serverMoves({ dataDir: cfg.dataDir, paths: p, store, backups, git, service, addons, queue, log, env: process.env, say }); // minicloud backup / restore
  const api = createApi({ moves, timeouts: cfg.apiTimeouts, certs, ...deps, service, processes, addons, push, github, runtime, routerLog: (app: string) => accessLog.fileForReading(app), appLog: (app: string) => join(p.logs, app, 'app.log'), metrics, hookToken: hook,
    status: () => ({ runtime: runtime.name, docker: engine?.version ?? null, builds: { concurrency: cfg.buildConcurrency, memoryMb: engine ? cfg.buildMemoryMb : null }, defaultMemoryMb: cfg.appMemoryMb, defaultCpu: cfg.appCpu, defaultPids: cfg.appPids, isolation: { mode: isolation.mode, summary: isolation.summary } }), gitHandler: git.handle, routerProof, trustedProxy: parseTrustedProxies(cfg.trustedProxies),
    publicUrl, cliTarball: once(cliTarball), hsts: caCertified(() => certs.report('admin').domains.some((d) => d.status === 'valid')) });
  await new Promise<void>((resolve, reject) => { api.once('error', reject); api.listen(cfg.apiPort, cfg.bind, resolve); });
  const apiPort = (api.address() as AddressInfo).port;
  dashboardRoute = adminRoute(cfg.domain, { host: apiAddress(cfg.bind), port: apiPort }, publicUrl !== null, routerProof);
  writeHookConfig(p.hookConfig, { url: `http://${urlHost(apiAddress(cfg.bind))}:${apiPort}`, token: hook });
  const routerOptions: RouterOptions = {
    ...routerHttps(cfg, certs), // first: options written below win
    trustedProxies: cfg.trustedProxies,
    port: cfg.httpPort, host: cfg.routerBind, table, domain: cfg.domain, wakeTimeoutMs: cfg.wakeTimeoutMs,
    wake: (app) => void sleeper.wake(app),
    onRequest: (app) => sleeper.touch(app),
    log: (line, app) => { if (app) { accessLog.write(app, line); metrics.observeLine(app, line); } },
  };
  // MINICLOUD_ROUTER_WORKERS > 1: that many router processes share the port (proxy/cluster.ts).
  const router = cfg.routerWorkers > 1 ? await startRouterCluster({ ...routerOptions, workers: cfg.routerWorkers }) : await startRouter(routerOptions);

  await formation.restore();
  refreshRoutes();
  certs.sync();
  // Each app's cron schedules into Redis: at start, and again whenever Redis answers after being away (it may have lost them).
  const syncAllCron = () => Promise.all(store.listApps().map((app) => cron.sync(app.name, store.currentRelease(app.name)?.artifact.manifest?.cron ?? [])
    .catch((e: unknown) => console.error(`${app.name}: cron not scheduled:`, e))));
  for (const app of store.listApps()) git.installHook(app.name);
  await Promise.all(store.listApps().map((app) => queue.watch(app.name))); // together: each waits up to 1.5 s for an absent Redis
  // Briefly at most: with Redis away minicloud still starts (apps keep serving); the schedules follow once it is back.
  await Promise.race([syncAllCron(), new Promise((r) => setTimeout(r, 3000).unref())]);
  queue.redis.on('back', () => void syncAllCron());
  // Deploys the database calls unfinished whose job Redis no longer has: queued again, or failed saying so.
  const reconciler = new QueueReconciler({ store, queue, log, running: () => pipeline.running, hasSource: (id) => existsSync(sourceTar(p.sources, id)), say });
  reconciler.start();
  void reconciler.pass();

  backupScheduler.start();
  // Shared servers that restarted may have forgotten per-app users (Redis ACLs): put them back, now and every minute.
  const restoreAddons = () => void addons.restoreAll(say).catch((e: unknown) => console.error('add-ons:', e));
  restoreAddons();
  const addonTimer = setInterval(restoreAddons, cfg.addonCheckMs);
  addonTimer.unref();
  metrics.start();
  for (const line of edgeBanner(cfg, { api: apiPort, http: router.port }, publicUrl)) say(line);
  say(engine ? `Runtime: Docker ${engine.version} (containers on network ${cfg.dockerNetwork})` : 'Runtime: host processes (no Docker engine answered; MINICLOUD_RUNTIME=docker requires one)');
  if (engine) for (const w of loopbackWarnings(process.env)) console.warn(`Warning: ${w}`);
  say(`Isolation: ${isolation.summary}`);
  say(httpsBanner(cfg, router.httpsPort));
  say(`Data in ${cfg.dataDir}`);
  // The token itself never goes to standard output (journald, docker logs keep it): only where to read it.
  if (!cfg.token) say(`Admin token: ${admin.created ? 'new, ' : ''}in ${p.adminToken} (mode 0600; \`cat\` it to log in)`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping minicloud (apps keep running and are picked up at the next start)`);
    killRunningSteps();
    pipeline.abandon(); // after the steps are gone: it hands the apps' deploy locks to the next process
    formation.close();
    sleeper.close();
    reconciler.stop();
    metrics.close();
    clearInterval(addonTimer);
    certs.stop();
    accessLog.close();
    await backupScheduler.stop();
    await cronRunner.close();
    await cron.close();
    await queue.close();
    await runtime.close();
    await log.close();
    // Redis goes before the API port is freed, so a next process never finds the old one's Redis.
    await localRedis?.stop();
    await router.close();
    await closeApi(api, 15 * 60_000, (n) => say(`Handing ${n} push(es) in progress over to the next minicloud process; exiting when they end`));
    store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((e: unknown) => {
  if (isUserError(e)) {
    console.error(` !     ${e.message}`);
    if (e.hint) console.error(` !     ${e.hint}`);
  } else {
    console.error(e);
  }
  process.exit(1);
});
