// The host-process runtime (Piku-style): each instance is a detached process group, logs to a file.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { baseEnv, runCommand } from '../core/index.ts';
import { AppLogs } from './app-logs.ts';
import { freePort } from './free-port.ts';
import { linkVolumes } from './link-volumes.ts';
import type { InstanceSpec, LogOptions, RunningInstance, Runtime } from './runtime.ts';

interface Handle { pid: number; start: string }

/**
 * The process's start time from /proc: with the pid, it tells our process from a later one that
 * reused the pid. A zombie counts as gone (under an init that does not reap, it never leaves).
 */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? null : (fields[19] ?? null);
  } catch {
    return null;
  }
}

const parse = (handle: string): Handle => JSON.parse(handle) as Handle;
const alive = (h: Handle) => startTime(h.pid) === h.start;

export class ProcessRuntime implements Runtime {
  readonly name = 'process' as const;
  private readonly listeners: Array<(handle: string, code: number | null) => void> = [];
  private readonly watched = new Map<string, NodeJS.Timeout>();
  private closed = false;

  private readonly files: AppLogs;

  constructor(logDir: string) {
    this.files = new AppLogs(logDir);
  }

  /** One file per app: every instance appends to it, and it outlives releases (`minicloud logs`). */
  logFile(app: string): string {
    return this.files.file(app);
  }

  appendLog(app: string, line: string): void {
    this.files.append(app, line);
  }

  async start(spec: InstanceSpec): Promise<RunningInstance> {
    if (!existsSync(spec.artifact.ref)) throw new Error(`release directory ${spec.artifact.ref} is gone`);
    linkVolumes(spec);
    const port = await freePort();
    const file = this.files.prepare(spec.app);
    const fd = openSync(file, 'a', 0o600);
    // Detached with its output on a file, not a pipe: the app outlives a restart of minicloud.
    const child = spawn('/bin/sh', ['-c', `exec ${spec.command}`], {
      cwd: spec.artifact.ref,
      env: baseEnv({ ...spec.env, PORT: String(port), DYNO: `${spec.type}.${spec.id.slice(0, 8)}` }),
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    closeSync(fd);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new Error(`could not start ${spec.command}: ${e.message}`)));
    });
    const pid = child.pid!;
    const handle = JSON.stringify({ pid, start: startTime(pid) ?? '' } satisfies Handle);
    child.on('exit', (code) => this.exited(handle, code));
    child.unref();
    return { handle, pid, host: '127.0.0.1', port };
  }

  async adopt(handle: string): Promise<boolean> {
    const h = parse(handle);
    if (!alive(h)) return false;
    // Not our child any more: poll, since no exit event will come.
    const timer = setInterval(() => { if (!alive(h)) this.exited(handle, null); }, 1000);
    timer.unref();
    this.watched.set(handle, timer);
    return true;
  }

  async stop(handle: string, graceMs: number): Promise<void> {
    const h = parse(handle);
    if (!alive(h)) return;
    const signal = (sig: NodeJS.Signals) => { try { process.kill(-h.pid, sig); } catch { /* gone */ } };
    signal('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (alive(h) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (alive(h)) signal('SIGKILL');
    while (alive(h)) await new Promise((r) => setTimeout(r, 20));
  }

  onExit(listener: (handle: string, code: number | null) => void): void {
    this.listeners.push(listener);
  }

  private exited(handle: string, code: number | null): void {
    if (this.closed) return; // minicloud is stopping: the next process adopts or restarts it
    const timer = this.watched.get(handle);
    if (timer) clearInterval(timer);
    this.watched.delete(handle);
    for (const l of this.listeners) l(handle, code);
  }

  async run(spec: InstanceSpec, onLine: (line: string) => void, signal?: AbortSignal): Promise<number> {
    if (!existsSync(spec.artifact.ref)) throw new Error(`release directory ${spec.artifact.ref} is gone`);
    linkVolumes(spec);
    const port = await freePort();
    const env = baseEnv({ ...spec.env, PORT: String(port), DYNO: `${spec.type}.${spec.id.slice(0, 8)}` });
    return runCommand(spec.command, { cwd: spec.artifact.ref, env, onLine, signal });
  }

  logs(app: string, opts: LogOptions): AsyncIterable<string> {
    return this.files.tail(app, opts);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.watched.values()) clearInterval(t);
    this.watched.clear();
  }
}
