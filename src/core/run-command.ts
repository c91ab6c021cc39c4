// Running a shell command in its own process group, its output split into lines as they come (each cut at MAX_LINE).
import { spawn } from 'node:child_process';
import { LineSplitter } from './line-splitter.ts';

export interface RunOptions {
  cwd: string;
  env: Record<string, string>;
  onLine: (line: string) => void;
  /** Killed (the whole group) after this long; the line says so. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Told the pid at start, and again (with null) when the command has ended. */
  track?: (pid: number, running: boolean) => void;
}

/** Resolves with the exit code (128 when killed by a signal). */
export function runCommand(command: string, o: RunOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd: o.cwd, env: o.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const kill = () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } };
    if (child.pid) o.track?.(child.pid, true);
    const timer = o.timeoutMs
      ? setTimeout(() => { o.onLine(`timed out after ${Math.round(o.timeoutMs! / 1000)} s`); kill(); }, o.timeoutMs)
      : null;
    o.signal?.addEventListener('abort', kill, { once: true });
    for (const stream of [child.stdout, child.stderr]) {
      const lines = new LineSplitter(o.onLine, { cr: true });
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => lines.push(chunk));
      stream.on('end', () => lines.end());
    }
    const done = () => {
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', kill);
      if (child.pid) o.track?.(child.pid, false);
    };
    child.on('error', (e) => { done(); reject(e); });
    child.on('close', (code, signal) => { done(); resolve(code ?? (signal ? 128 : 1)); });
  });
}
