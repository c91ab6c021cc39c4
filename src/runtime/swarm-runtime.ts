
import type Dockerode from 'dockerode';
import { typeImage } from '../core/index.ts';
import { AppLogs } from './app-logs.ts';
import { appNetworkName } from './docker-network.ts';
import { imageFacts, placeVolumes, type ImageFacts } from './image-facts.ts';
import type { EngineHealth, ExitReason, InstanceSpec, LogOptions, RunningInstance, Runtime } from './runtime.ts';
import { ensureOverlay, removeOverlay } from './swarm-overlay.ts';
import { followService, runOutput, wholeLog } from './swarm-service-logs.ts';
import { createEnvSecret, PLAIN_ENV, removeSecrets, sweepSecrets } from './swarm-secrets.ts';
import { ServiceRemovals } from './swarm-removals.ts';
import { LABEL, serviceName, serviceSpec, type ServiceOptions } from './swarm-service-spec.ts';
import { SwarmNodes } from './swarm-nodes.ts';
import { deadNodes, hasEnded, nodeAddress, spreadNode, taskHealth, tasksOf, waitForTask } from './swarm-tasks.ts';

export interface SwarmRuntimeOptions extends Omit<ServiceOptions, 'node'> {
  logDir: string;
  /** Each app's overlay network is `<network>-swarm-<app>`. */
  network: string;
  logMaxBytes?: number;
  /** Credentials the nodes pull release images with (the private registry's), sent with each new service. */
  registryAuth?: Dockerode.AuthConfig;
  /** How long a task may take to run (its node pulling the image included); 3 minutes by default. */
  startCeilingMs?: number;
  /**
   * The registry's `host:port`. An image not named under it (built before `minicloud swarm:init`, or no registry at
   * all yet) is on this node only: its instances run here, the image named by id, which the node pulls from nowhere
   * (a name would send it asking Docker Hub first).
   */
  registry?: string;
}

/** An instance being watched: its output followed into its app's log from `since` (seconds), `written` bytes so far. */
interface Watched { app: string; name: string; ac: AbortController; since: number; written: number }

const status = (e: unknown) => (e as { statusCode?: number }).statusCode;
/** Not the Docker runtime's bridge name: after swarm:init an app's bridge and overlay exist side by side for a while. */
const overlayName = (shared: string, app: string) => `${shared}-swarm-${app}`;
const POLL_MS = 1000;
/** How long an ended instance's last output may take to be read from its node. */
const DRAIN_MS = 15_000;

export class SwarmRuntime implements Runtime {
  readonly name = 'swarm' as const;
  readonly nodes: SwarmNodes;
  private readonly listeners: Array<(handle: string, code: number | null, reason: ExitReason) => void> = [];
  private readonly watching = new Map<string, Watched>();
  private readonly ending = new Map<string, Promise<void>>(); // ended services drained and removed, by name (restarts wait)
  private readonly removals: ServiceRemovals;
  private readonly files: AppLogs;
  private readonly images = new Map<string, ImageFacts>();
  private readonly overlays = new Map<string, Promise<void>>();
  private manager: Promise<string> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  private closed = false;

  constructor(private readonly docker: Dockerode, private readonly opts: SwarmRuntimeOptions) {
    this.files = new AppLogs(opts.logDir, opts.logMaxBytes);
    this.nodes = new SwarmNodes(docker);
    this.removals = new ServiceRemovals(docker);
  }

  logFile(app: string): string {
    return this.files.file(app);
  }

  appendLog(app: string, line: string): void {
    this.files.append(app, line);
  }

  logs(app: string, opts: LogOptions): AsyncIterable<string> {
    return this.files.tail(app, opts);
  }

  onExit(listener: (handle: string, code: number | null, reason: ExitReason) => void): void {
    this.listeners.push(listener);
  }

  async start(spec: InstanceSpec): Promise<RunningInstance> {
    const since = Math.floor(Date.now() / 1000) - 1;
    const name = serviceName(spec, 'instance');
    await this.ending.get(name); // started again in place (after a crash): its ended service drained and removed first
    const service = await this.create(spec, 'instance');
    try {
      const task = await waitForTask(this.docker, service, 'its task to run with a published port', this.opts.startCeilingMs ?? 180_000, (t) => {
        if (t && hasEnded(t)) throw new Error(`${spec.type} instance of ${spec.app} v${spec.release} did not start on the swarm: its task ${t.state}${t.err ? ` (${t.err})` : ''}`);
        return t?.state === 'running' && t.port ? t : undefined;
      });
      const host = await nodeAddress(this.docker, task.nodeId);
      this.watch(service, spec.app, since, name);
      return { handle: service, pid: null, host, port: task.port as number };
    } catch (e) {
      await this.remove(service);
      throw e;
    }
  }

  health(handle: string): Promise<EngineHealth | null> {
    return taskHealth(this.docker, handle);
  }

  async adopt(handle: string): Promise<boolean> {
    let spec: { Name?: string; Labels?: Record<string, string> } | undefined;
    try {
      spec = ((await this.docker.getService(handle).inspect()) as { Spec?: typeof spec }).Spec;
    } catch (e) {
      if (status(e) === 404) return false;
      throw e;
    }
    const t = (await tasksOf(this.docker, [handle])).get(handle);
    if (!t || hasEnded(t) || (await deadNodes(this.docker)).has(t.nodeId)) {
      await this.remove(handle);
      return false;
    }
    this.watch(handle, spec?.Labels?.[LABEL] ?? 'unknown', Math.floor(Date.now() / 1000), spec?.Name ?? handle);
    return true;
  }

  /**
   * Scales the service to none and waits for its task to end (SIGTERM, then SIGKILL after the service's grace period),
   * then removes it. A task on a dead node never reports its end: after `graceMs` and a margin it is removed all the same.
   */
  async stop(handle: string, graceMs: number): Promise<void> {
    const watched = this.watching.get(handle);
    this.watching.delete(handle); // a stop is no exit to report; its output is still followed until the task ends
    if (this.removals.pending(handle)) return this.removals.pending(handle); // ended and going already: never touched again
    const service = this.docker.getService(handle);
    let svc: { Version?: { Index?: number }; Spec?: Dockerode.ServiceSpec };
    try {
      svc = await service.inspect();
    } catch (e) {
      if (status(e) === 404) return;
      throw e;
    }
    if (svc.Spec?.Mode?.Replicated?.Replicas) {
      const body = { ...svc.Spec, Mode: { Replicated: { Replicas: 0 } } };
      await service.update({ _query: { version: svc.Version?.Index }, _body: body } as never).catch((e: unknown) => { if (status(e) !== 404) throw e; });
    }
    const ceiling = Math.max(graceMs, this.opts.stopGraceMs) + 15_000;
    await waitForTask(this.docker, handle, 'its task to stop', ceiling, (t) => (!t || hasEnded(t) ? true : undefined)).catch(() => {});
    if (watched) await this.drain(handle, watched);
    await this.remove(handle);
  }

  async run(spec: InstanceSpec, onLine: (line: string) => void, signal?: AbortSignal): Promise<number> {
    const service = await this.create(spec, 'run');
    const kill = () => void this.remove(service).catch(() => {});
    signal?.addEventListener('abort', kill, { once: true });
    try {
      const ended = waitForTask(this.docker, service, 'the one-off command to end', Number.POSITIVE_INFINITY, (t) => (t && hasEnded(t) ? t : undefined), signal);
      await runOutput(this.docker, service, onLine, ended.catch(() => {}));
      const t = await ended.catch((e: unknown) => { if (signal?.aborted) return null; throw e; });
      if (!t) return 137; // killed, as a Docker container's run would say
      if (t.exitCode === null) throw new Error(`the one-off command in ${spec.app} v${spec.release} did not run: its task ${t.state}${t.err ? ` (${t.err})` : ''}`);
      return t.exitCode;
    } finally {
      signal?.removeEventListener('abort', kill);
      await this.remove(service);
    }
  }

  /** The app is gone: its overlay network goes too. */
  async forget(app: string): Promise<void> {
    this.overlays.delete(app);
    for (const name of [overlayName(this.opts.network, app), appNetworkName(this.opts.network, app)]) await removeOverlay(this.docker, name);
    await sweepSecrets(this.docker, app);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.watching.values()) w.ac.abort();
    this.watching.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The instance's service (its id), on the app's overlay; with volumes, pinned to the node that holds them. */
  private async create(spec: InstanceSpec, kind: 'run' | 'instance'): Promise<string> {
    if (spec.artifact.kind !== 'image') throw new Error(`release v${spec.release} of ${spec.app} is not an image; the Swarm runtime runs images only`);
    const image = typeImage(spec.artifact, spec.type);
    const network = overlayName(this.opts.network, spec.app);
    await this.ensureOverlay(spec.app, network);
    const facts = await this.image(image);
    const { user, mounts, storageDir } = await placeVolumes(spec, facts);
    if (storageDir) spec = { ...spec, env: { ...spec.env, STORAGE_DIR: storageDir } };
    // Volumes live in host directories on the manager (so do local images); other instances spread over the nodes (a
    // node that dies takes its instances with it, and minicloud starts them again as new services, placed afresh).
    const local = !this.opts.registry || !image.startsWith(`${this.opts.registry}/`);
    const node = mounts.length || local ? await this.managerNode() : kind === 'instance' ? await spreadNode(this.docker, spec.app, spec.type) : undefined;
    // The config in a secret of this service's own, removed with it: no value in the spec.
    const config = Object.fromEntries(Object.entries(spec.env).filter(([k]) => !PLAIN_ENV.has(k)));
    const secret = await createEnvSecret(this.docker, serviceName(spec, kind), spec.app, spec.release, config);
    try {
      const body = serviceSpec(spec, kind, local ? facts.id : image, network, mounts, { ...this.opts, ...(node && { node }) }, { ...secret, user });
      // The credentials as their own argument: dockerode's one-argument form sends the whole spec as X-Registry-Auth,
      // and every node but the one that built the image then fails its pull as "No such image".
      const auth = this.opts.registryAuth;
      const created = await (auth ? this.docker.createService(auth, body) : this.docker.createService(body));
      return created.id as string;
    } catch (e) {
      await removeSecrets(this.docker, [secret.id]).catch(() => {});
      throw e;
    }
  }

  /** Follows the service's output into the app's log and checks on its task, until it ends or minicloud stops. */
  private watch(service: string, app: string, since: number, name: string): void {
    const w: Watched = { app, name, ac: new AbortController(), since, written: 0 };
    this.watching.set(service, w);
    followService(this.docker, service, since, (chunk) => {
      if (w.ac.signal.aborted) return; // drained: the rest came from the whole log
      w.written += chunk.length;
      this.files.write(app, chunk);
    }, w.ac.signal);
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), POLL_MS);
      this.timer.unref();
    }
  }

  private unwatch(service: string): void {
    this.watching.get(service)?.ac.abort();
    this.watching.delete(service);
  }

  /** One round for every watched instance: ended tasks, removed services and tasks on dead nodes are exits. */
  private async poll(): Promise<void> {
    const ids = [...this.watching.keys()];
    if (this.polling || ids.length === 0) return;
    this.polling = true;
    try {
      const [tasks, dead] = await Promise.all([tasksOf(this.docker, ids), deadNodes(this.docker)]);
      for (const id of ids) {
        const t = tasks.get(id);
        if (!t) this.exited(id, null);
        else if (hasEnded(t)) this.exited(id, t.exitCode);
        else if (dead.has(t.nodeId)) this.exited(id, null);
      }
    } catch {
      // the manager did not answer this round; the next one asks again
    } finally {
      this.polling = false;
    }
  }

  private exited(service: string, code: number | null): void {
    if (this.closed) return; // minicloud is stopping: the next process adopts or restarts it
    const w = this.watching.get(service);
    if (!w) return; // reported once only
    this.watching.delete(service);
    // Always `exited`: a task's status has its exit code, not whether the kernel killed it for memory (the manager never says).
    for (const l of this.listeners) l(service, code, 'exited');
    const ending = this.remove(service, this.drain(service, w)).catch(() => {}).finally(() => { if (this.ending.get(w.name) === ending) this.ending.delete(w.name); });
    this.ending.set(w.name, ending);
  }

  /** The task has ended: the output the live stream had not delivered yet goes to the app's log, then it stops. */
  private async drain(service: string, w: Watched): Promise<void> {
    try {
      const whole = await wholeLog(this.docker, service, w.since, AbortSignal.timeout(DRAIN_MS));
      w.ac.abort();
      if (whole.length > w.written) this.files.write(w.app, whole.subarray(w.written));
      w.written = whole.length;
    } catch {
      w.ac.abort(); // its node is gone, or the service: what was followed is what there is
    }
  }

  private remove(service: string, first?: Promise<void>): Promise<void> {
    return this.removals.remove(service, (first ?? Promise.resolve()).then(() => this.unwatch(service)));
  }

  /** The id of the node this engine is (the manager minicloud runs beside, where volumes' host directories are). */
  private managerNode(): Promise<string> {
    return (this.manager ??= this.docker.info().then((i: { Swarm?: { NodeID?: string } }) => {
      if (!i.Swarm?.NodeID) throw new Error('the Docker engine is not part of a swarm (MINICLOUD_RUNTIME=swarm needs a swarm manager)');
      return i.Swarm.NodeID;
    }).catch((e: unknown) => { this.manager = null; throw e; }));
  }

  private async image(image: string): Promise<ImageFacts> {
    let found = this.images.get(image);
    if (!found) {
      found = await imageFacts(this.docker, image);
      this.images.set(image, found);
    }
    return found;
  }

  private ensureOverlay(app: string, network: string): Promise<void> {
    let made = this.overlays.get(app);
    if (!made) {
      made = ensureOverlay(this.docker, network, app).catch((e: unknown) => { this.overlays.delete(app); throw e; });
      this.overlays.set(app, made);
    }
    return made;
  }
}
