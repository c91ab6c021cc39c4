// Running one build command; the steps still running are known so a stopping minicloud can end them, and a killed one takes them with it.
import { runCommand, type RunAs } from '../core/index.ts';

export interface StepOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  onLine: (line: string) => void;
  user?: RunAs;
}

const running = new Set<number>();

/** Kills every build step still running (minicloud is stopping; the job runs again at the next start). */
export function killRunningSteps(): void {
  for (const pid of running) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
  running.clear();
}

export function runStep(command: string, opts: StepOptions): Promise<number> {
  return runCommand(command, { ...opts, endWithParent: true, track: (pid, on) => (on ? running.add(pid) : running.delete(pid)) });
}
