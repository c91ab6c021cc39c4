// The runtime the formation talks to, which can change while minicloud runs (`minicloud swarm:init`: Docker → Swarm).
// New instances, one-offs and consoles go to the current runtime; an instance's stop, adoption, health and activity go
// to the runtime that started it, told by its handle (a container's id is 64 hex digits; a Swarm service's is not),
// so containers still running after the change are moved off one by one and stopped where they run.
import type { Activity, EngineHealth, ExitReason, InstanceSpec, LogOptions, NodeControl, RunningInstance, Runtime } from './runtime.ts';

/** A Docker container's handle: its full id. */
export const isContainerHandle = (handle: string): boolean => /^[0-9a-f]{64}$/.test(handle);

export class RuntimeSwitch implements Runtime {
  private readonly listeners: Array<(handle: string, code: number | null, reason: ExitReason) => void> = [];
  /** The runtime before the change, while its instances may still run (Docker, where the current is Swarm). */
  private former: Runtime | null = null;
  /** The runtimes whose exits this one relays (each once). */
  private readonly heard = new WeakSet<Runtime>();

  constructor(private current: Runtime, former?: Runtime) {
    this.listen(current);
    if (former) this.keep(former);
  }

  get name(): Runtime['name'] { return this.current.name; }
  get nodes(): NodeControl | undefined { return this.current.nodes; }
  /** The runtime new instances start on. */
  get active(): Runtime { return this.current; }
  /** The one before the change, while it is kept for the instances it runs. */
  get previous(): Runtime | null { return this.former; }

  /** From now on new instances start on `next`; the current one keeps serving the handles it owns. */
  switchTo(next: Runtime): void {
    this.keep(this.current);
    this.current = next;
    this.listen(next);
  }

  /** Which runtime owns a handle: containers are the Docker runtime's, whichever is current. */
  private owner(handle: string): Runtime {
    const docker = [this.current, this.former].find((r) => r?.name === 'docker');
    if (docker && isContainerHandle(handle)) return docker;
    return [this.current, this.former].find((r) => r && r.name !== 'docker') ?? this.current;
  }

  private keep(former: Runtime): void {
    this.former = former;
    this.listen(former);
  }

  private listen(r: Runtime): void {
    if (this.heard.has(r)) return;
    this.heard.add(r);
    r.onExit((h, code, reason) => { for (const l of this.listeners) l(h, code, reason); });
  }

  start(spec: InstanceSpec): Promise<RunningInstance> { return this.current.start(spec); }
  stop(handle: string, graceMs: number): Promise<void> { return this.owner(handle).stop(handle, graceMs); }
  adopt(handle: string): Promise<boolean> { return this.owner(handle).adopt(handle); }
  onExit(listener: (handle: string, code: number | null, reason: ExitReason) => void): void { this.listeners.push(listener); }
  activity(handle: string): Activity | null { return this.owner(handle).activity?.(handle) ?? null; }
  async health(handle: string): Promise<EngineHealth | null> { return (await this.owner(handle).health?.(handle)) ?? null; }

  /** Only where the current runtime pauses instances (backups skip the pause where it cannot). */
  get freeze(): Runtime['freeze'] {
    if (!this.current.freeze) return undefined;
    return async (handle, frozen) => { await this.owner(handle).freeze?.(handle, frozen); };
  }

  get console(): Runtime['console'] { return this.current.console?.bind(this.current); }

  logs(app: string, opts: LogOptions): AsyncIterable<string> { return this.current.logs(app, opts); }
  appendLog(app: string, line: string): void { this.current.appendLog(app, line); }
  run(spec: InstanceSpec, onLine: (line: string) => void, signal?: AbortSignal): Promise<number> { return this.current.run(spec, onLine, signal); }

  async prewarm(app: string, specs: InstanceSpec[]): Promise<void> {
    await this.former?.prewarm?.(app, []); // what it readied for the app goes: the wake starts on the current one
    await this.current.prewarm?.(app, specs);
  }

  async forget(app: string): Promise<void> {
    await this.former?.forget?.(app);
    await this.current.forget?.(app);
  }

  async close(): Promise<void> {
    await this.former?.close();
    await this.current.close();
  }
}
