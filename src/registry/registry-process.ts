// Debian's docker-registry (the Distribution registry) as a host process minicloud supervises: started with its
// configuration file (no secret in argv), restarted with backoff when it dies, restarted read-only for the garbage
// collection, stopped with minicloud. One an earlier minicloud left running (it was killed) is ended first, by the pid
// it wrote, after checking that pid is that registry.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { UserError, type Logger } from '../core/index.ts';
import type { RegistryFiles } from './registry-files.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

export class RegistryProcess {
  private child: ChildProcess | null = null;
  private stopping = false;
  private failures = 0;

  constructor(private readonly files: RegistryFiles, private readonly answers: () => Promise<boolean>, private readonly log: Logger, private readonly binary = 'docker-registry') {}

  /** Starts it (read-only for a garbage collection) and waits until it answers. */
  async start(readOnly = false): Promise<void> {
    await this.endLeftover();
    this.stopping = false;
    const out = openSync(this.files.log, 'a');
    const child = spawn(this.binary, ['serve', this.files.config(readOnly)], { stdio: ['ignore', out, out] });
    closeSync(out);
    this.child = child;
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT'
        ? new UserError(`${this.binary} was not found on PATH: minicloud runs the swarm's registry with it`, 'install it (Debian/Ubuntu: `apt-get install docker-registry`), or set MINICLOUD_SWARM_REGISTRY=<host>:<port> of a registry you run')
        : e));
      child.once('exit', (code) => reject(new UserError(`the swarm's registry (${this.binary}) exited with code ${code} as it started: ${this.tail()}`, `see ${this.files.log}; a port in use: set MINICLOUD_SWARM_REGISTRY_PORT`)));
    });
    failed.catch(() => {});
    if (child.pid) writeFileSync(this.files.pidFile, `${child.pid}\n`);
    await Promise.race([failed, this.answering()]);
    child.once('exit', (code, signal) => this.exited(child, code, signal));
  }

  /** Stops it; waits until it has exited (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(this.files.pidFile, { force: true });
  }

  private async answering(): Promise<void> {
    for (const end = Date.now() + 30_000; Date.now() < end;) {
      if (await this.answers().catch(() => false)) return;
      await sleep(100);
    }
    throw new UserError(`the swarm's registry did not answer on ${this.files.host} within 30 s: ${this.tail()}`, `see ${this.files.log}`);
  }

  /** Died on its own: started again, after 1, 2, 4 … 30 s while it keeps dying. */
  private exited(child: ChildProcess, code: number | null, signal: string | null): void {
    if (this.stopping || this.child !== child) return;
    this.child = null;
    const wait = Math.min(30_000, 1000 * 2 ** this.failures++);
    this.log.warn(`the swarm's registry exited (${signal ?? `code ${code}`}): ${this.tail()}; starting it again in ${wait / 1000} s`);
    setTimeout(() => {
      if (this.stopping || this.child) return;
      this.start().then(() => { this.failures = 0; }, (e: unknown) => this.log.error("the swarm's registry could not be started again:", e));
    }, wait).unref();
  }

  /** A registry an earlier minicloud started on these files and left running when it was killed. */
  private async endLeftover(): Promise<void> {
    if (!existsSync(this.files.pidFile)) return;
    const pid = Number(readFileSync(this.files.pidFile, 'utf8').trim());
    const cmd = Number.isInteger(pid) && pid > 1 && existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
    if (this.child?.pid !== pid && cmd.includes('serve') && cmd.includes(this.files.dir)) {
      this.log.info(`ending the swarm's registry an earlier minicloud left running (pid ${pid})`);
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(this.files.pidFile, { force: true });
  }

  private tail(): string {
    try {
      return readFileSync(this.files.log, 'utf8').trim().split('\n').slice(-3).join(' | ').slice(-600);
    } catch {
      return 'no log';
    }
  }
}
