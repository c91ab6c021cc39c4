// The parts between the base and the listeners: apps, deploys, add-ons, backups, certificates, made in dependency
// order; each long-lived one registers its stop where it is made.
import { join } from 'node:path';
import { requireFreeSpace, type Deploy, type Logger } from '../core/index.ts';
import { AddonsService, isAddonKind } from '../addons/index.ts';
import { hashToken } from '../api/index.ts';
import { AppsService, PreviewsService, appDirs, type AppsDeps } from '../apps/index.ts';
import { githubPreviewHooks } from './preview-status.ts';
import { BackupsService, OffBox, TargetFile } from '../backups/index.ts';
import { ImageImporter, killRunningSteps, loadBuildpacks } from '../build/index.ts';
import { GitServer, GithubIntake, PushIntake, fetchCommit } from '../intake/index.ts';
import { Metrics } from '../metrics/index.ts';
import { Pipeline, sourceTar } from '../pipeline/index.ts';
import { CronRunner, Formation, NodeService, ProcessService, Sleeper } from '../processes/index.ts';
import { CronScheduler, DeployQueue, connectionFromUrl } from '../queue/index.ts';
import { RouteTable } from '../routes/index.ts';
import { RouterLink } from '../router-daemon/index.ts';
import { swarmRuntime, type Base } from './base.ts';
import { SwarmSwitch } from './swarm-switch.ts';
import { STOP_GRACE_MS, type Config } from './config.ts';
import { startCertificates } from './https.ts';
import { certAlerts, makeAlerts, watchFormation } from './alerts.ts';
import type { Alerts } from '../alerts/index.ts';
import type { Lifecycle } from './lifecycle.ts';

export type Parts = Awaited<ReturnType<typeof startParts>>;

/** The free-space floor builds and backups check before they start. */
const floor = (cfg: Config) => (what: string) => requireFreeSpace(cfg.dataDir, cfg.minFree, what);

/** Apps, deploys, add-ons, backups, certificates: everything between the base and the listeners. */
export async function startParts(cfg: Config, base: Base, log: Logger, life: Lifecycle) {
  const { p, redisUrl, store, deployLog, runtime, builder, engine, isolation, appUrl } = base;
  // First: every part after it may have something to announce.
  const alerts = makeAlerts(cfg, base, log.child('alerts'), life);
  // Made before the pipeline that works its jobs: add-ons (which the pipeline provisions) queue releases on it.
  const queue = new DeployQueue(connectionFromUrl(redisUrl), cfg.redisPrefix);
  life.add('deploy queue', () => queue.close());
  // The router daemon as the parts see it before minicloud has reached it (the edge binds it, listeners.ts).
  const router = new RouterLink();
  const formation = new Formation(store, runtime, {
    startTimeoutMs: cfg.startTimeoutMs, drainMs: cfg.drainMs, stopGraceMs: STOP_GRACE_MS, volumesDir: p.volumes, stopFirstWithStorage: () => runtime.name === 'swarm',
    healthIntervalMs: cfg.healthIntervalMs, healthFailures: cfg.healthFailures, healthTimeoutMs: cfg.healthTimeoutMs, published: () => router.settled(),
  });
  life.add('formation', () => formation.close());
  reportFormation(formation, base, log.child('formation'));
  watchFormation(alerts, formation, cfg);
  const cronRunner = new CronRunner({ store, runtime, appendLog: (app, line) => runtime.appendLog(app, line), volumes: (app) => formation.volumes(app), limits: (app) => formation.limits(app) });
  const cron = new CronScheduler(connectionFromUrl(redisUrl), (job) => cronRunner.run(job), cfg.redisPrefix);
  // The runs first: closing the scheduler's worker would wait for a run in progress.
  life.add('cron', async () => { await cronRunner.close(); await cron.close(); });

  const git = new GitServer({ reposDir: p.repos, hookConfigFile: p.hookConfig, checkToken: (t) => store.tokens.byHash(hashToken(t)) !== null, maxPushBytes: cfg.maxSourceMb * 1024 * 1024, appExists: (a) => store.apps.get(a) !== null });
  // What goes with a destroyed app: each part's share, added below once the part is made.
  const teardown: ((app: string) => Promise<void>)[] = [];
  const serviceDeps: AppsDeps = {
    store, git, queue, log: deployLog, formation, appUrl, appDirs: appDirs(p),
    beforeDestroy: async (app) => { for (const step of teardown) await step(app); },
  };
  const service = new AppsService(serviceDeps);
  const addons = new AddonsService({ store, service, env: process.env });
  const fetchSource = (deploy: Deploy, repo: string, tarFile: string, say: (l: string) => void) =>
    fetchCommit({ cacheDir: p.github, app: deploy.app, repo, base: cfg.githubUrlBase, sha: deploy.commit!, token: githubToken(store, deploy.app), tarFile, say });
  const pipeline = new Pipeline({
    store, log: deployLog, builder, buildpacks: loadBuildpacks(), formation, sourcesDir: p.sources, buildsDir: p.builds, maxSourceBytes: cfg.maxSourceMb * 1024 * 1024, appUrl, fetchSource, locksDir: join(cfg.dataDir, 'locks'),
    ...(engine && { images: new ImageImporter(engine.docker, base.registry) }),
    provision: (app, needs, say) => addons.provisionNeeds(app, needs, say), provisionKinds: (app, kinds, say) => addons.provisionKinds(app, kinds, say),
    detachAddon: (app, kind, say) => addons.detachFailed(app, kind, say),
    syncCron: (app, entries) => cron.sync(app, entries), routesChanged: (app) => formation.emit('changed', app), readyStart: async (app) => { await runtime.readyStart?.(app); },
    logger: log.child('deploys'), checkFreeSpace: floor(cfg),
  });
  queue.work((job) => pipeline.run(job), { orphaned: (app, deployId) => pipeline.orphaned(app, deployId), log: log.child('queue') });
  // First of all: build steps killed, then the deploys they belonged to handed to the next process (with the apps' locks).
  life.add('deploys', () => { killRunningSteps(); pipeline.abandon(); }, { group: 'first' });

  const { previews, push, github } = intakes(cfg, base, { queue, service, addons, teardown, log, life });
  const sleeper = new Sleeper(store, formation, undefined, log.child('sleeper'));
  life.add('sleeper', () => sleeper.close());
  const processes = new ProcessService({ store, formation, sleeper, runtime, service });
  const nodes = new NodeService(store, formation, runtime, base.registry?.own && { host: base.registry.own.host, caPem: base.registry.own.caPem }, base.registry === undefined);
  const backups = new BackupsService({
    store, dir: p.backups, env: process.env, volumes: (app) => formation.volumes(app), freeze: (app) => formation.freezeStateful(app), log: log.child('backups'),
    restart: (app) => service.runAndWait(app, 'restart'), finished: (b) => alerts.sources.backupFinished(b), offBox: new OffBox(new TargetFile(p.backupTarget)), checkFreeSpace: floor(cfg),
  });
  const metrics = new Metrics({ instances: () => store.instances.list(), log: log.child('metrics'), ...(cfg.metricsHistory && { history: store.metricPoints }) });
  teardown.push(
    (app) => cron.forget(app), (app) => addons.destroyAll(app), async (app) => metrics.forget(app),
    (app) => builder.prune(app, []).catch(() => {}), async (app) => { await isolation.users?.remove(app); }, async (app) => { await runtime.forget?.(app); },
  );
  const renaming = renames(serviceDeps, base, cron, metrics);
  const table = new RouteTable();
  const certs = await certificates(cfg, base, { table, router, alerts, life, log: log.child('certs'), teardown, renaming });
  return { alerts, serviceDeps, appUrl, previews, queue, formation, cron, cronRunner, git, service, addons, pipeline, github, push, sleeper, processes, nodes, swarm: swarmSwitch(cfg, base, formation, log), backups, metrics, table, router, certs };
}

/**
 * HTTPS (certs): a certificate for every name in the route table, orders re-planned on every route change; an app's own
 * certificates follow it (renamed with it, removed with it).
 */
async function certificates(cfg: Config, { p, store }: Base, o: {
  table: RouteTable; router: RouterLink; alerts: Alerts; life: Lifecycle; log: Logger;
  teardown: ((app: string) => Promise<void>)[]; renaming: Array<(from: string, to: string) => Promise<void>>;
}) {
  const certs = await startCertificates(cfg, p.certs, o.table, store, o.log, {
    onChange: () => o.router.certsChanged(), onTokens: (tokens) => o.router.challenges(tokens), ...certAlerts(o.alerts),
  });
  o.life.add('certificates', () => certs.stop());
  o.teardown.push(async (app) => certs.forgetApp(app));
  o.renaming.push(async (from, to) => certs.renameApp(from, to));
  return certs;
}

/** `minicloud swarm:init`: this engine a one-node swarm, the apps moved onto it (swarm-switch.ts). */
function swarmSwitch(cfg: Config, { p, store, runtime, engine, registry }: Base, formation: Formation, log: Logger): SwarmSwitch {
  return new SwarmSwitch({
    store, formation, runtime, docker: engine?.docker ?? null, registry: registry !== undefined, recordFile: p.runtimeRecord,
    locksDir: join(cfg.dataDir, 'locks'), log: log.child('swarm'), makeSwarm: () => swarmRuntime(engine!.docker, cfg, p, registry),
  });
}

/**
 * apps:rename: each part's share, and how stored artifacts name an app's builds (release directories, images). Returns
 * the list of steps, for parts made later to add theirs.
 */
function renames(deps: AppsDeps, { p, builder, isolation, runtime }: Base, cron: CronScheduler, metrics: Metrics): Array<(from: string, to: string) => Promise<void>> {
  const steps: Array<(from: string, to: string) => Promise<void>> = [
    (from) => cron.forget(from),
    async (from, to) => { await builder.rename?.(from, to); },
    async (from, to) => { await isolation.users?.rename(from, to); },
    async (from) => { await runtime.forget?.(from); },
    async (from) => metrics.forget(from),
  ];
  deps.beforeRename = async (from, to) => { for (const step of steps) await step(from, to); };
  const dir = (app: string) => `${JSON.stringify(join(p.builds, app)).slice(0, -1)}/`;
  deps.artifactPaths = (from, to) => [{ from: dir(from), to: dir(to) }, { from: `"minicloud/${from}:`, to: `"minicloud/${to}:` }];
  return steps;
}

/** The GitHub token an app's fetches use: its link's, or for a pull request's preview its parent's. */
const githubToken = (store: Base['store'], app: string) => store.githubLinks.get(store.previews.get(app)?.parent ?? app)?.token ?? null;

/** git pushes and GitHub deliveries, and the previews a push of a matching branch or a pull request makes: add-ons of their own, of the kinds the parent has; asleep after 15 idle minutes. */
function intakes(cfg: Config, { p, store, deployLog, appUrl }: Base, o: {
  queue: DeployQueue; service: AppsService; addons: AddonsService; teardown: ((app: string) => Promise<void>)[]; log: Logger; life: Lifecycle;
}) {
  const { queue, service, addons, teardown } = o;
  const previews = new PreviewsService({
    store, service, max: cfg.maxPreviews, sleepAfterSeconds: 900, memoryMb: cfg.previewMemoryMb,
    attachAddon: async (app, kind) => { if (isAddonKind(kind)) await addons.create(app, kind); },
  });
  const push = new PushIntake(store, queue, { incoming: p.incoming, sources: p.sources, sourceTar: (id) => sourceTar(p.sources, id) }, previews);
  teardown.push((app) => previews.destroyAllOf(app)); // a destroyed app's previews go with it
  const hooks = githubPreviewHooks(previews, { apiUrl: cfg.githubApiUrl, log: deployLog, appUrl, logger: o.log.child('github'), life: o.life });
  const github = new GithubIntake(store, queue, { cacheDir: p.github, warn: o.log.child('github').warn, previews: hooks });
  return { previews, push, github };
}

/** The operator's lines about apps' processes: crashes, failed health checks, sleeping and waking. */
function reportFormation(formation: Formation, { store }: Base, log: Logger): void {
  formation.on('crash', (inst, code, delayMs, cause) =>
    log.warn(`${inst.app}: ${inst.type} ${cause === 'oom' ? 'was killed: out of memory' : cause === 'unhealthy' ? 'stopped after failed health checks' : `exited (code ${code ?? 'signal'})`}; restarting in ${Math.round(delayMs / 1000)} s`));
  formation.on('error', (e) => log.error('', e));
  formation.on('unhealthy', (inst, reason) => log.warn(`${inst.app}: ${inst.type} failed its health checks (${reason}); restarting it`));
  formation.on('slept', (app) => log.info(`${app}: asleep after ${store.apps.get(app)?.sleepAfterSeconds} s without requests`));
  formation.on('woke', (app) => log.info(`${app}: woken by a request`));
}

