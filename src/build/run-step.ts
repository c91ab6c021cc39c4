// Running one build command, its output split into lines as they come.
import { spawn } from 'node:child_process';

export interface StepOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  onLine: (line: string) => void;
}

const running = new Set<number>();

/** Kills every build step still running (minicloud is stopping; the job runs again at the next start). */
export function killRunningSteps(): void {
  for (const pid of running) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
  running.clear();
}

/** Resolves with the exit code; a step past its timeout is killed (its whole process group). */
export function runStep(command: string, opts: StepOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid) running.add(child.pid);
    const kill = () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } };
    const timer = setTimeout(() => { opts.onLine(`timed out after ${Math.round(opts.timeoutMs / 1000)} s`); kill(); }, opts.timeoutMs);
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (partial + chunk).split(/\r?\n|\r/);
        partial = parts.pop() ?? '';
        for (const p of parts) opts.onLine(p);
      });
      stream.on('end', () => { if (partial) opts.onLine(partial); });
    }
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => { clearTimeout(timer); running.delete(child.pid!); resolve(code ?? (signal ? 128 : 1)); });
  });
}
