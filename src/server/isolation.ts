// How apps are kept apart on this server: per-app users and firewall fences for host processes (as root), or containers.
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppUsers, UserError, chooseConfinement, type Confinement, type Logger } from '../core/index.ts';
import { PortGuard } from '../runtime/port-guard.ts';
import type { Config, Paths } from './config.ts';

export type IsolationMode = 'containers' | 'per-app users' | 'none';

export interface Isolation {
  mode: IsolationMode;
  /** One line for the start-up banner and `minicloud status`. */
  summary: string;
  users?: AppUsers;
  guard?: PortGuard;
  /** Host processes: what each instance, build and one-off runs in (cgroups, or process groups and why). */
  confine?: Confinement;
}

/** Directories an app's user passes through (mode 0711: enter, not list) to reach its own part. */
const PASSAGES = ['builds', 'cache', 'volumes', 'homes'] as const;

/** `root`: whether minicloud may switch users (given by tests). */
export function setUpIsolation(cfg: Config, p: Paths, runtime: 'docker' | 'process', log: Logger, root = process.getuid?.() === 0): Isolation {
  if (runtime === 'docker') {
    return { mode: 'containers', summary: 'each app in its own containers: no capabilities, no-new-privileges, process and CPU limits, buildpack images as a non-root user; containers reach each other only through the router' };
  }
  const users = new AppUsers({ homesDir: p.homes, prefix: cfg.appUserPrefix, nproc: cfg.appPids, enabled: root, log });
  // Named after the data dir, as the firewall rules are: servers side by side each keep to their own cgroups.
  const namespace = `minicloud-${createHash('sha256').update(cfg.dataDir).digest('hex').slice(0, 10)}`;
  const confine = chooseConfinement({ namespace, mode: cfg.cgroups });
  if (!users.enabled) {
    return {
      mode: 'none', confine,
      summary: `none: minicloud is not root, so every app runs as ${process.env.USER ?? 'its user'}: apps can read each other's files and minicloud's data dir (tokens, database) and signal each other; run minicloud as root for one Unix user per app`,
    };
  }
  closeDataDir(cfg.dataDir, p);
  return {
    mode: 'per-app users', users, guard: new PortGuard(cfg.dataDir), confine,
    summary: `one Unix user per app (${cfg.appUserPrefix}<app>, at most ${cfg.appPids} processes each); app ports answer the router and the app only`,
  };
}

/**
 * Everything minicloud makes is private from now on (umask 077); the data dir only lets app users pass to
 * their own releases, caches, volumes and homes. Files from before per-app users are closed here too.
 */
function closeDataDir(dataDir: string, p: Paths): void {
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      throw new UserError(`apps' users could not reach their releases in ${dataDir}: ${dir} is closed to other users`,
        `put the data dir where every user may pass (e.g. MINICLOUD_DATA=/var/lib/minicloud), or open the way with \`chmod o+x ${dir}\``);
    }
    if (dir === dirname(dir)) break;
  }
  process.umask(0o077);
  chmodSync(dataDir, 0o711);
  const open = new Set<string>(PASSAGES.map((k) => p[k]));
  for (const dir of open) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o711);
  }
  for (const entry of readdirSync(dataDir)) {
    const path = join(dataDir, entry);
    if (open.has(path)) continue;
    const st = lstatSync(path);
    if (st.isSymbolicLink()) continue;
    chmodSync(path, st.isDirectory() ? 0o700 : 0o600);
  }
}
