// The parts everything else stands on: the data directory, Redis, the store, the admin token, the deploy log, the
// runtime and the builder; each long-lived one registers its stop as it is made.
import { chmodSync, mkdirSync } from 'node:fs';
import type { Logger } from '../core/index.ts';
import { BOOT_TOKEN, adminToken, hashToken } from '../api/index.ts';
import { BuildSlots, DockerBuilder, HostBuilder, type Builder } from '../build/index.ts';
import { DeployLog } from '../log/index.ts';
import { startLocalRedis } from '../queue/index.ts';
import { DockerRuntime, ProcessRuntime, RuntimeSwitch, SwarmRuntime, connectDocker, runtimeChoice, type EngineClient, type Runtime } from '../runtime/index.ts';
import { Store } from '../store/index.ts';
import { adminUrl, bindWarning } from './admin-edge.ts';
import { STOP_GRACE_MS, paths, type Config, type Paths } from './config.ts';
import { setUpIsolation, type Isolation } from './isolation.ts';
import { runtimeAfterInit } from './swarm-switch.ts';
import type { Lifecycle } from './lifecycle.ts';
import { swarmRegistry, type ChosenRegistry } from './swarm-registry.ts';

export interface Base {
  p: Paths;
  redisUrl: string;
  store: Store;
  /** The admin token, and whether this start made it (the banner says where to read it). */
  admin: { token: string; created: boolean };
  deployLog: DeployLog;
  engine: Awaited<ReturnType<typeof connectDocker>>;
  isolation: Isolation;
  runtime: Runtime;
  builder: BuildSlots;
  /** The registry release images go to on a swarm (builds and image deploys push there); `own`: minicloud runs it. */
  registry?: ChosenRegistry;
  /** Where an app serves: `http://<app>.<domain>[:port]`. */
  appUrl: (app: string) => string;
}

export async function startBase(cfg: Config, log: Logger, life: Lifecycle): Promise<Base> {
  const p = paths(cfg.dataDir);
  mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
  // At every start, not only on creation: tokens, keys and the database live here.
  chmodSync(cfg.dataDir, 0o700);
  // An external router (the installer's container) reaches the API on minicloud's internal network only.
  const wide = cfg.routerMode === 'external' ? null : bindWarning(cfg, adminUrl(cfg, cfg.https.port));
  if (wide) log.warn(wide);

  const redisUrl = cfg.redisUrl ?? (await localRedis(p, log, life));
  const store = new Store(p.db);
  // Last: the API serves from it until its port is freed.
  life.add('store', () => store.close(), { group: 'last' });
  const admin = adminToken(cfg.token, p.adminToken);
  // The admin token is whatever MINICLOUD_TOKEN (else admin.token) is now: a changed one replaces the old.
  store.tokens.setBoot(BOOT_TOKEN, hashToken(admin.token));
  const portSuffix = cfg.httpPort === 80 ? '' : `:${cfg.httpPort}`;
  const appUrl = (app: string) => `http://${app}.${cfg.domain}${portSuffix}`;
  const deployLog = new DeployLog(store, redisUrl, appUrl);
  life.add('deploy log', () => deployLog.close());

  // Docker when an engine answers (or MINICLOUD_RUNTIME=docker); host processes otherwise; Swarm once swarm:init ran.
  const choice = runtimeAfterInit(runtimeChoice(cfg.runtime), p.runtimeRecord);
  const engine = await connectDocker(choice);
  const registry = choice === 'swarm' && engine ? await swarmRegistry(cfg, p, engine.docker, log, life) : undefined;
  const isolation = setUpIsolation(cfg, p, engine ? 'docker' : 'process', log.child('users'));
  const docker = engine ? new DockerRuntime(engine.docker, { logDir: p.logs, network: cfg.dockerNetwork, defaultMemoryMb: cfg.appMemoryMb, defaultCpu: cfg.appCpu, defaultPids: cfg.appPids, logMaxBytes: cfg.appLogMaxBytes, ...(cfg.dockerPeers && { ownNetworkOnly: { peers: cfg.dockerPeers } }) }) : null;
  // On an engine, a switch: swarm:init changes Docker for Swarm while minicloud runs (containers left stop on Docker).
  const runtime: Runtime = engine && docker
    ? (choice === 'swarm' ? new RuntimeSwitch(swarmRuntime(engine.docker, cfg, p, registry), docker) : new RuntimeSwitch(docker))
    : new ProcessRuntime(p.logs, {
      users: isolation.users, guard: isolation.guard, log: log.child('runtime'), confine: isolation.confine,
      defaults: { memoryMb: cfg.appMemoryMb, cpu: cfg.appCpu, pids: cfg.appPids }, logMaxBytes: cfg.appLogMaxBytes,
    });
  life.add('runtime', () => runtime.close());
  if (runtime instanceof ProcessRuntime) {
    const handles = store.instances.list().map((i) => i.handle);
    // Firewall rules a killed predecessor left for ports nobody listens on now (instances that still run keep theirs).
    await isolation.guard?.sweep(runtime.livePorts(handles));
    // Its one-offs and builds, and what its lost instances left: no stored instance owns their cgroups.
    const swept = await runtime.sweep(handles);
    if (swept) log.info(`ended ${swept} cgroup(s) no instance owns (left by an earlier minicloud process)`);
  }
  if (docker) {
    // Sleeping apps' parked containers of an earlier process: restore() parks them again.
    const parked = await docker.sweepParked(store.instances.list().map((i) => i.handle));
    if (parked) log.info(`removed ${parked} parked container(s) of sleeping apps left by an earlier minicloud process`);
  }
  const inner: Builder = engine
    ? new DockerBuilder(engine.docker, { memoryMb: cfg.buildMemoryMb, timeoutMs: cfg.buildStepTimeoutMs, caBundle: cfg.buildCaBundle, keepImages: cfg.keepImages, network: `${cfg.dockerNetwork}-build`, ...(registry && { registry }) })
    : new HostBuilder({
      cacheDir: p.cache, stepTimeoutMs: cfg.buildStepTimeoutMs, caBundle: cfg.buildCaBundle, users: isolation.users, confine: isolation.confine,
      // A build gets the build cap, as on Docker (installs need more than the app will); CPU and processes are the app's.
      limits: (app) => ({ memoryMb: cfg.buildMemoryMb, cpu: store.apps.get(app)?.cpu ?? cfg.appCpu, pids: store.apps.get(app)?.pids ?? cfg.appPids }),
    });
  const builder = new BuildSlots(inner, { concurrency: cfg.buildConcurrency, minFreeMb: cfg.buildMinFreeMb });
  return { p, redisUrl, store, admin, deployLog, engine, isolation, runtime, builder, appUrl, ...(registry && { registry }) };
}

/**
 * With no REDIS_URL, a private redis-server. Added first, so it stops after every part that talks to it, and
 * before the ports (group `last`): a next minicloud that could bind them never finds this one's Redis still running.
 */
async function localRedis(p: Paths, log: Logger, life: Lifecycle): Promise<string> {
  const redis = await startLocalRedis(p.redis, log.child('redis'));
  life.add('redis', () => redis.stop(), { timeoutMs: 30_000 }); // it writes its append-only file out first
  return redis.url;
}

/**
 * The Swarm runtime on this engine: release images from the swarm's registry; an image that is not there (built
 * before `swarm:init`, or none runs yet) runs on this node only, named by id.
 */
export function swarmRuntime(docker: EngineClient, cfg: Config, p: Paths, registry: ChosenRegistry | undefined): SwarmRuntime {
  return new SwarmRuntime(docker, {
    logDir: p.logs, network: cfg.dockerNetwork, defaultMemoryMb: cfg.appMemoryMb, defaultCpu: cfg.appCpu, defaultPids: cfg.appPids, stopGraceMs: STOP_GRACE_MS, logMaxBytes: cfg.appLogMaxBytes,
    ...(registry && { registry: registry.host }), ...(registry?.auth && { registryAuth: registry.auth }),
  });
}
