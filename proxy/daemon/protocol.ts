// The router daemon's state files and messages: what minicloud writes before starting it, what it says on its control socket.
import { createHash } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Route } from '../../src/routes/index.ts';

/** Bumped when the control API changes shape: a daemon speaking another one is replaced, not reused. */
export const PROTOCOL = 1;

/** Fixed for the daemon's life: a change makes minicloud replace the daemon. */
export interface DaemonSettings {
  port: number;
  host?: string;
  domain: string;
  /** null: no HTTPS listener. */
  httpsPort: number | null;
  timeoutMs?: number;
  wakeTimeoutMs?: number;
  startingHoldMs?: number;
  trustedProxies?: string;
  upstreamConnections?: number;
  /** Router worker processes sharing the ports. */
  workers: number;
  /** The access log: `<logsDir>/<app>/router.log`. */
  logsDir: string;
  /** The most a retiring worker waits for its connections to end (a restart, a stop). */
  drainMs: number;
}

export interface Pem { keyPem: string; certPem: string }

/** Every served name's certificate, and the one for everything else. */
export interface CertSet {
  fallback: Pem;
  names: Record<string, Pem>;
}

export interface DaemonStatus {
  protocol: number;
  pid: number;
  settings: DaemonSettings;
  /** The hash of the router's code its workers run (a change on disk: minicloud asks for a restart). */
  code: string;
  workers: number;
  /** The current generation's worker processes. */
  workerPids: number[];
  /** Whether minicloud is listening on /events. */
  controlPlane: boolean;
  startedAt: string;
}

/** One line of the /events stream (NDJSON). */
export type DaemonEvent =
  | { t: 'wake'; app: string }
  | { t: 'seen'; apps: string[] }
  | { t: 'log'; lines: Array<[string | null, string]> };

/** The files in the daemon's directory (`<data>/router`, mode 0700). */
export function statePaths(dir: string) {
  return {
    dir,
    settings: join(dir, 'settings.json'),
    routes: join(dir, 'routes.json'),
    certs: join(dir, 'certs.json'),
    socket: join(dir, 'control.sock'),
    pid: join(dir, 'router.pid'),
    log: join(dir, 'router.log'),
  };
}

/** Written whole or not at all (a crash mid-write leaves the old file), readable by root only. */
export function writeState(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function readState<T>(file: string, fallback: T): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return fallback;
  }
}

const CODE_DIRS = ['proxy', 'src/routes', 'src/core'];

/** A hash of the code a router worker loads, to tell whether the running one is what is on disk. */
export function codeHash(root: string): string {
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts')) h.update(p.slice(root.length)).update(readFileSync(p));
    }
  };
  for (const d of CODE_DIRS) walk(join(root, d));
  return h.digest('hex').slice(0, 16);
}

export type { Route };
