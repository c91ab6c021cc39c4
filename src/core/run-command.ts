// Running a shell command in its own process group, its output split into lines as they come (each cut at MAX_LINE); optionally ending with us.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { killGroup, ProcessGroup, type Group } from './confine.ts';
import { LineSplitter } from './line-splitter.ts';

// By its path: an app's PATH config var must not decide what runs before its user is in place.
const PRLIMIT = ['/usr/bin/prlimit', '/bin/prlimit'].find((f) => existsSync(f)) ?? 'prlimit';
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((f) => existsSync(f)) ?? 'setpriv';

export interface RunOptions {
  cwd: string;
  env: Record<string, string>;
  onLine: (line: string) => void;
  /** Killed (the whole group) after this long; the line says so. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Told the pid at start, and again (with null) when the command has ended. */
  track?: (pid: number, running: boolean) => void;
  /** Runs as this user, its processes capped at `nproc` (the per-app user of host processes). */
  user?: RunAs;
  /** The whole group is killed when this process dies, even by SIGKILL (Node has no PR_SET_PDEATHSIG). */
  endWithParent?: boolean;
  /** The cgroup it runs in (the caller made it and removes it); its process group otherwise. Either way, what is left of it when the command ends is killed. */
  group?: Group;
}

// The gate: the first process waits on fd 3 until minicloud has put it in its cgroup, so nothing it forks starts
// outside. If minicloud dies before, the pipe closes unanswered and the command never runs.
const GATE = 'IFS= read -r _ <&3 || exit 97; exec 3<&-; exec "$@"';

/** spawn(), in `group` from its first instruction on when given (the gate above); a failure to place it kills it and throws. */
export function spawnIn(group: Group | undefined, file: string, args: string[], options: SpawnOptions & { stdio: Array<'pipe' | 'ignore' | number> }): ChildProcess {
  if (!group) return spawn(file, args, options);
  const child = spawn('/bin/sh', ['-c', GATE, 'minicloud-gate', file, ...args], { ...options, stdio: [...options.stdio, 'pipe'] });
  const gate = child.stdio[3] as Writable;
  gate.on('error', () => { /* it died first: its exit tells */ });
  if (child.pid === undefined) {
    gate.destroy();
    return child; // spawn failed: its 'error' event says why
  }
  try {
    group.place(child.pid);
  } catch (e) {
    child.kill('SIGKILL');
    gate.destroy();
    throw new Error(`could not put the process in its cgroup: ${(e as Error).message}`);
  }
  gate.end('\n');
  return child;
}

// A watchdog shell around the command ("$@"): it holds our pipe on fd 3 and kills its own process group once the pipe
// closes, which is when this process exits in any way. When the command ends first, the watchdog goes too.
const WATCHDOG = 'exec 3<&0 </dev/null; (read _ <&3; kill -9 0) >/dev/null 2>&1 & w=$!; exec 3<&-; "$@"; c=$?; kill $w 2>/dev/null; exit $c';

export interface RunAs { uid: number; gid: number; nproc: number }

/** argv and spawn options of `sh -c command`, as `user` when given: prlimit sets the process cap after the switch. */
export function shellAs(command: string, user?: RunAs): { file: string; args: string[]; ids: { uid?: number; gid?: number } } {
  if (!user) return { file: '/bin/sh', args: ['-c', command], ids: {} };
  return { file: PRLIMIT, args: [`--nproc=${user.nproc}`, '--', '/bin/sh', '-c', command], ids: { uid: user.uid, gid: user.gid } };
}

/**
 * argv of `sh -c command` that becomes `user` itself (for a spawner started as root that cannot switch users
 * properly, node-pty: its setuid keeps root's supplementary groups). setpriv drops them, then prlimit sets the cap.
 */
export function shellArgvAs(command: string, user?: RunAs): string[] {
  if (!user) return ['/bin/sh', '-c', command];
  return [SETPRIV, `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', PRLIMIT, `--nproc=${user.nproc}`, '--', '/bin/sh', '-c', command];
}

/** Resolves with the exit code (128 when killed by a signal). */
export function runCommand(command: string, o: RunOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const sh = shellAs(command, o.user);
    const [file, args] = o.endWithParent ? ['/bin/sh', ['-c', WATCHDOG, 'minicloud-step', sh.file, ...sh.args]] : [sh.file, sh.args];
    const child = spawnIn(o.group, file, args, { cwd: o.cwd, env: o.env, detached: true, stdio: [o.endWithParent ? 'pipe' : 'ignore', 'pipe', 'pipe'], ...sh.ids });
    child.stdin?.on('error', () => {}); // never written to: only its closing matters
    const group = o.group ?? new ProcessGroup();
    if (!o.group && child.pid) group.place(child.pid);
    const kill = () => { group.signal('SIGKILL'); try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } };
    // Whatever it left running (a daemon it forked, a child that outlived it) ends with it, and lets our pipes close;
    // the command counts as ended once that is done (the next build step may run in the same cgroup).
    let cleared: Promise<unknown> = Promise.resolve();
    child.on('exit', () => { cleared = killGroup(group); });
    if (child.pid) o.track?.(child.pid, true);
    const timer = o.timeoutMs
      ? setTimeout(() => { o.onLine(`timed out after ${Math.round(o.timeoutMs! / 1000)} s`); kill(); }, o.timeoutMs)
      : null;
    o.signal?.addEventListener('abort', kill, { once: true });
    for (const stream of [child.stdout!, child.stderr!]) {
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
    child.on('close', (code, signal) => { done(); void cleared.then(() => resolve(code ?? (signal ? 128 : 1))); });
  });
}
