// A host-process console: the one-off command under a pseudo-terminal (node-pty), placed in its group before it runs.
import { readFileSync } from 'node:fs';
import { spawn as spawnPty } from 'node-pty';
import { shellArgvAs, type Group, type RunAs } from '../core/index.ts';
import type { ConsoleOptions } from './runtime.ts';

export interface PtyCommand {
  command: string;
  cwd: string;
  env: Record<string, string>;
  /** The app's user (minicloud as root). */
  user?: RunAs;
  /** The group it runs in: the caller made it, and kills and removes what is left of it after. */
  group: Group;
}

// The gate: the shell stops itself, so nothing of the command runs before minicloud has put it in its group
// (a cgroup's limits hold from the first instruction on); SIGCONT lets it go on. node-pty forks and execs in one
// go, leaving no moment to place the child before exec, and no spare descriptor for spawnIn's pipe gate.
const GATE = 'kill -STOP $$; exec "$@"';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stateOf = (pid: number): string | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
};

/** Resolves with the exit code, 128 + the signal's number when a signal ended it. */
export async function ptyConsole(c: PtyCommand, o: ConsoleOptions): Promise<number> {
  // By their paths, never the app's PATH (node-pty's execvp looks the file up in the child's environment).
  const pty = spawnPty('/bin/sh', ['-c', GATE, 'minicloud-console', ...shellArgvAs(c.command, c.user)], {
    name: o.term, cols: o.cols, rows: o.rows, cwd: c.cwd, env: c.env, encoding: null,
  });
  const exited = new Promise<number>((resolve) => {
    pty.onExit(({ exitCode, signal }) => resolve(signal ? 128 + signal : exitCode));
  });
  let gone = false;
  void exited.then(() => { gone = true; });
  // Stopped ('T') once the gate has run; a shell that died first ends the wait too.
  while (!gone && stateOf(pty.pid) !== 'T' && stateOf(pty.pid) !== null) await sleep(2);
  if (gone || stateOf(pty.pid) === null) return exited;
  try {
    c.group.place(pty.pid);
  } catch (e) {
    process.kill(pty.pid, 'SIGKILL');
    await exited;
    throw new Error(`could not put the console in its cgroup: ${(e as Error).message}`);
  }
  const hangUp = () => {
    // A terminal's hangup: the shell and its jobs get SIGHUP; the caller kills whatever outlives it.
    c.group.signal('SIGHUP');
    c.group.signal('SIGCONT');
  };
  if (o.signal.aborted) hangUp();
  o.signal.addEventListener('abort', hangUp, { once: true });
  pty.onData((data) => o.output(typeof data === 'string' ? Buffer.from(data) : data));
  process.kill(pty.pid, 'SIGCONT');
  o.ready({
    write: (data) => { if (!gone) pty.write(data); },
    resize: (cols, rows) => { if (!gone) pty.resize(cols, rows); },
    pause: () => pty.pause(),
    resume: () => pty.resume(),
  });
  try {
    return await exited;
  } finally {
    o.signal.removeEventListener('abort', hangUp);
  }
}
