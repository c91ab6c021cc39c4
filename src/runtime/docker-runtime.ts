// The Docker runtime: each instance is a container of the release's image on minicloud's network.
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { LineSplitter, mark, typeImage } from '../core/index.ts';
import { AppLogs } from './app-logs.ts';
import { containerPort, containerSpec, type ContainerOptions } from './container-spec.ts';
import { appAliases, appNetworkName, ensureAppNetwork, ensureOwnNetwork, removeOwnNetwork } from './docker-network.ts';
import { dockerConsole } from './docker-console.ts';
import { instanceName, type Activity, type ConsoleOptions, type EngineHealth, type ExitReason, type InstanceSpec, type LogOptions, type RunningInstance, type Runtime } from './runtime.ts';
import { ContainerProcesses } from './container-processes.ts';
import { ParkedContainers } from './parked-containers.ts';
import { imageFacts, placeVolumes, type ImageFacts } from './image-facts.ts';

export interface DockerRuntimeOptions extends ContainerOptions {
  logDir: string;
  /** Reach instances on a published 127.0.0.1 port instead of the container's own address. */
  publish?: boolean;
  /** app.log's size limit (bytes; APP_LOG_MAX_BYTES by default). */
  logMaxBytes?: number;
  /**
   * App containers on their own network only (with a way out), never on the shared one: where the shared bridge
   * cannot be fenced (minicloud in a container: the installer's layout). `peers` are joined to every app's network:
   * the router's container, minicloud's own, the add-on servers'.
   */
  ownNetworkOnly?: { peers: string[] };
}

const gone = (e: unknown) => (e as { statusCode?: number }).statusCode === 404;

export class DockerRuntime implements Runtime {
  readonly name = 'docker' as const;
  private readonly listeners: Array<(handle: string, code: number | null, reason: ExitReason) => void> = [];
  private readonly watching = new Map<string, AbortController>();
  private readonly procs = new ContainerProcesses();
  /** Containers being stopped: their exits are reported by stop(). */
  private readonly stopping = new Set<string>();
  private readonly files: AppLogs;
  private readonly images = new Map<string, ImageFacts>();
  private network: Promise<void> | null = null;
  private readonly ownNetworks = new Map<string, Promise<void>>();
  private closed = false;
  private readonly parked: ParkedContainers;

  constructor(private readonly docker: Dockerode, private readonly opts: DockerRuntimeOptions) {
    this.files = new AppLogs(opts.logDir, opts.logMaxBytes);
    this.parked = new ParkedContainers(docker, (id) => this.remove(id));
  }

  logFile(app: string): string {
    return this.files.file(app);
  }

  appendLog(app: string, line: string): void {
    this.files.append(app, line);
  }

  async start(spec: InstanceSpec): Promise<RunningInstance> {
    // Parked while the app slept (prewarm): made, started and on its networks already; a signal runs the command.
    const info = (await this.parked.wake(spec)) ?? (await this.launch(spec));
    this.procs.track(info.Id, info.State.Pid);
    this.watch(info.Id, spec.app, instanceName(spec), new Date(info.State.StartedAt));
    return { handle: info.Id, pid: info.State.Pid || null, ...this.address(info, containerPort(spec)) };
  }

  /**
   * A sleeping app: its instances' containers made and started now, each holding the app's command back in its shell
   * (a few hundred kB in the container, plus the engine's shim on the host), so the wake skips create and start.
   */
  async prewarm(app: string, specs: InstanceSpec[] = []): Promise<void> {
    if (this.closed) return;
    await this.parked.park(app, specs, (spec) => this.launch(spec, true));
  }

  /** A new container for the instance, started (`held`: its command held back, parked). */
  private async launch(spec: InstanceSpec, held = false): Promise<Dockerode.ContainerInspectInfo> {
    const container = await this.create(spec, `${spec.type}-${spec.id.slice(0, 8)}`, appAliases(spec.app, spec.type), false, held);
    mark('created');
    await container.start();
    mark('started');
    return container.inspect();
  }

  /** At start: parked containers of an earlier minicloud process that no stored instance owns go. */
  sweepParked = (handles: Array<string | null>) => this.parked.sweep(new Set(handles.filter((h): h is string => !!h)));

  async adopt(handle: string): Promise<boolean> {
    try {
      const info = await this.docker.getContainer(handle).inspect();
      if (!info.State.Running) {
        await this.remove(handle);
        return false;
      }
      this.procs.track(handle, info.State.Pid);
      const labels = info.Config.Labels;
      this.watch(handle, labels['minicloud.app'] ?? 'unknown', labels['minicloud.process'] ?? `${labels['minicloud.type'] ?? 'app'}.${(labels['minicloud.instance'] ?? '').slice(0, 8)}`, new Date());
      return true;
    } catch (e) {
      if (gone(e)) return false;
      throw e;
    }
  }

  /** From /proc, as for host processes; null where the engine's processes are not visible (then the supervisor waits longer). */
  activity(handle: string): Activity | null { return this.procs.activity(handle); }

  /** Its Compose `healthcheck:` as the engine last ran it; null without one, or gone. */
  async health(handle: string): Promise<EngineHealth | null> {
    const s = (await this.docker.getContainer(handle).inspect().catch(() => null))?.State.Health?.Status;
    return s === 'healthy' || s === 'unhealthy' || s === 'starting' ? s : null;
  }

  /** Stops and removes it; the exit is reported once removed (its name free for a restart in place, never lost to the removal). */
  async stop(handle: string, graceMs: number): Promise<void> {
    this.stopping.add(handle);
    let watched: boolean;
    let code: number | null;
    try {
      code = await this.procs.halt(this.docker.getContainer(handle), graceMs).catch((e: unknown) => {
        // 304: already stopped; 404: already removed. Either way, it is not running.
        if (!gone(e) && (e as { statusCode?: number }).statusCode !== 304) throw e;
        return null;
      });
      watched = this.watching.has(handle);
      await this.remove(handle);
    } finally {
      this.stopping.delete(handle);
    }
    if (watched && !this.closed) for (const l of this.listeners) l(handle, code, 'exited');
  }

  onExit(listener: (handle: string, code: number | null, reason: ExitReason) => void): void { this.listeners.push(listener); }

  /** The engine's pause (the cgroup freezer): see Runtime.freeze. */
  async freeze(handle: string, frozen: boolean): Promise<void> { const c = this.docker.getContainer(handle); await (frozen ? c.pause() : c.unpause()); }

  async run(spec: InstanceSpec, onLine: (line: string) => void, signal?: AbortSignal): Promise<number> {
    const container = await this.create(spec, `run-${spec.id.slice(0, 8)}`);
    try {
      const out = new PassThrough();
      const lines = new LineSplitter(onLine); // not readline: it re-scans an unfinished line at every chunk
      const ended = new Promise((r) => out.once('end', r)).then(() => lines.end());
      out.setEncoding('utf8');
      out.on('data', (chunk: string) => lines.push(chunk));
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      container.modem.demuxStream(stream, out, out);
      const kill = () => void container.kill().catch(() => {});
      signal?.addEventListener('abort', kill, { once: true });
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      signal?.removeEventListener('abort', kill);
      (stream as unknown as { destroy(): void }).destroy();
      out.end();
      await ended;
      return StatusCode;
    } finally {
      await this.remove(container.id);
    }
  }

  /** `run`'s console: the same container as a one-off's, with a TTY and stdin attached. */
  async console(spec: InstanceSpec, o: ConsoleOptions): Promise<number> {
    const container = await this.create({ ...spec, env: { ...spec.env, TERM: o.term } }, `run-${spec.id.slice(0, 8)}`, [], true);
    try {
      return await dockerConsole(container, o);
    } finally {
      await this.remove(container.id);
    }
  }

  logs(app: string, opts: LogOptions): AsyncIterable<string> {
    return this.files.tail(app, opts);
  }

  /** The app is gone: its own network goes too. */
  async forget(app: string): Promise<void> {
    await this.parked.drop(app);
    this.ownNetworks.delete(app);
    await removeOwnNetwork(this.docker, appNetworkName(this.opts.network, app));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const ac of this.watching.values()) ac.abort();
    this.watching.clear();
  }

  /**
   * A container on the shared network (the router's way in), joined to the app's own network before it starts,
   * where its app's other containers find it by `aliases` (a one-off run has none: it only reaches them).
   */
  private async create(spec: InstanceSpec, suffix: string, aliases: string[] = [], tty = false, held = false): Promise<Dockerode.Container> {
    if (spec.artifact.kind !== 'image') throw new Error(`release v${spec.release} of ${spec.app} is not an image; the Docker runtime runs images only`);
    if (!this.opts.ownNetworkOnly) await this.ensureNetwork();
    await this.ensureOwnNetwork(spec.app);
    const { mounts, storageDir } = await placeVolumes(spec, await this.image(typeImage(spec.artifact, spec.type)));
    if (storageDir) spec = { ...spec, env: { ...spec.env, STORAGE_DIR: storageDir } };
    const name = `mc-${spec.app}-${suffix}`;
    const own = appNetworkName(this.opts.network, spec.app);
    // A console's: a terminal, and its input held open for attaching.
    const terminal = tty ? { Tty: true, OpenStdin: true, StdinOnce: false, AttachStdin: true, AttachStdout: true, AttachStderr: true } : {};
    if (this.opts.ownNetworkOnly) {
      // Made on its own network, with its names there: nothing to join afterwards.
      return this.docker.createContainer({
        ...containerSpec(spec, name, mounts, { ...this.opts, network: own }, held), ...terminal,
        NetworkingConfig: { EndpointsConfig: { [own]: { Aliases: aliases } } },
      });
    }
    const container = await this.docker.createContainer({ ...containerSpec(spec, name, mounts, this.opts, held), ...terminal });
    try {
      await this.docker.getNetwork(appNetworkName(this.opts.network, spec.app)).connect({ Container: container.id, EndpointConfig: { Aliases: aliases } });
    } catch (e) {
      await this.remove(container.id);
      throw e;
    }
    return container;
  }

  private address(info: Dockerode.ContainerInspectInfo, port: number): { host: string; port: number } {
    if (this.opts.publish) {
      const bound = info.NetworkSettings.Ports?.[`${port}/tcp`]?.[0];
      if (!bound) throw new Error(`container ${info.Name} has no published port`);
      return { host: '127.0.0.1', port: Number(bound.HostPort) };
    }
    const network = this.opts.ownNetworkOnly ? appNetworkName(this.opts.network, info.Config.Labels['minicloud.app'] ?? '') : this.opts.network;
    const ip = info.NetworkSettings.Networks?.[network]?.IPAddress;
    if (!ip) throw new Error(`container ${info.Name} has no address on network ${network}`);
    return { host: ip, port };
  }

  /** Copies the container's output into the app's log file and reports its exit, until minicloud stops. */
  private watch(id: string, app: string, tag: string, since: Date): void {
    const ac = new AbortController();
    this.watching.set(id, ac);
    const container = this.docker.getContainer(id);
    void container
      .logs({ follow: true, stdout: true, stderr: true, timestamps: true, since: Math.floor(since.getTime() / 1000), abortSignal: ac.signal })
      .then((stream) => {
        const out = new PassThrough();
        const lines = this.files.stamped(app, tag);
        out.on('data', (chunk: Buffer) => lines.push(chunk));
        out.on('end', () => lines.end());
        container.modem.demuxStream(stream, out, out);
        stream.on('end', () => out.end());
        stream.on('error', () => out.end());
      })
      .catch(() => {}); // the container went away before its logs could be followed; its exit still reports
    void container
      .wait({ abortSignal: ac.signal })
      .then((r: { StatusCode: number }) => this.exited(id, r.StatusCode))
      .catch(() => { if (!ac.signal.aborted) void this.exited(id, null); }); // removed under us: gone all the same
  }

  private async exited(id: string, code: number | null): Promise<void> {
    if (this.stopping.has(id)) return; // stop() reports it, once the container is removed
    this.procs.forget(id);
    if (this.closed) return; // minicloud is stopping: the next process adopts or restarts it
    if (!this.watching.delete(id)) return; // reported once only
    // The engine knows whether the kernel killed it at its memory limit. Then the container goes before the exit is told:
    // the supervisor starts the instance again in place, under the same name (its output is in the app's log already).
    const info = (await this.docker.getContainer(id).inspect().catch(() => null)) as { State?: { OOMKilled?: boolean } } | null;
    await this.remove(id).catch(() => {});
    for (const l of this.listeners) l(id, code, info?.State?.OOMKilled ? 'oom' : 'exited');
  }

  private async remove(id: string): Promise<void> {
    this.procs.forget(id);
    this.watching.get(id)?.abort();
    this.watching.delete(id);
    try {
      await this.docker.getContainer(id).remove({ force: true });
    } catch (e) {
      // 404: gone already; 409: removal already in progress
      const status = (e as { statusCode?: number }).statusCode;
      if (status !== 404 && status !== 409) throw e;
    }
  }

  private async image(image: string): Promise<ImageFacts> {
    let found = this.images.get(image);
    if (!found) {
      found = await imageFacts(this.docker, image);
      this.images.set(image, found);
    }
    return found;
  }

  private ensureOwnNetwork(app: string): Promise<void> {
    let made = this.ownNetworks.get(app);
    if (!made) {
      made = ensureOwnNetwork(this.docker, appNetworkName(this.opts.network, app), app, this.opts.ownNetworkOnly).catch((e: unknown) => { this.ownNetworks.delete(app); throw e; });
      this.ownNetworks.set(app, made);
    }
    return made;
  }

  private ensureNetwork(): Promise<void> {
    return (this.network ??= ensureAppNetwork(this.docker, this.opts.network).catch((e: unknown) => { this.network = null; throw e; }));
  }
}
