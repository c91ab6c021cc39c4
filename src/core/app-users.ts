// One Unix user per app for host processes: created on first use, removed with the app; only when minicloud is root.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLogger, type Logger } from './logger.ts';

const exec = promisify(execFile);

export interface AppUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  tmp: string;
  /** RLIMIT_NPROC of the user: every process and thread of the app together (builds included). */
  nproc: number;
}

export interface AppUsersOptions {
  /** Each app's HOME is `<homesDir>/<app>`, its TMPDIR `<home>/tmp`. */
  homesDir: string;
  /** User names are `<prefix><app>` (shortened with a hash past 32 characters). */
  prefix: string;
  /** The process limit of each app's user. */
  nproc: number;
  /** Off when minicloud is not root (it cannot switch users); tests may force it. */
  enabled?: boolean;
  /** The operator's log: users that could not be deleted. */
  log?: Logger;
}

/** App users take uids and gids from this range, so a firewall rule can name every app at once. */
export const APP_UID_RANGE: [number, number] = [50000, 59999];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class AppUsers {
  readonly enabled: boolean;
  private readonly pending = new Map<string, Promise<AppUser>>();

  constructor(private readonly o: AppUsersOptions) {
    this.enabled = o.enabled ?? process.getuid?.() === 0;
  }

  userName(app: string): string {
    const name = this.o.prefix + app;
    if (name.length <= 32) return name;
    const hash = createHash('sha256').update(app).digest('hex').slice(0, 6);
    return `${this.o.prefix}${app.slice(0, 32 - this.o.prefix.length - 7)}-${hash}`;
  }

  /** The app's user, made (with its home and temp dir) when missing; null when minicloud does not isolate apps. */
  async ensure(app: string): Promise<AppUser | null> {
    if (!this.enabled) return null;
    let p = this.pending.get(app);
    if (!p) {
      p = this.make(app);
      this.pending.set(app, p);
      p.catch(() => this.pending.delete(app));
    }
    return p;
  }

  /** Ends every process the app's user still has (a daemon it forked), then deletes the user, its group and home. */
  async remove(app: string): Promise<void> {
    if (!this.enabled) return;
    this.pending.delete(app);
    const name = this.userName(app);
    const found = lookup(name);
    if (!found) return;
    for (let i = 0; i < 20 && killAll(found.uid) > 0; i++) await sleep(50);
    await retry(() => exec('userdel', [name]), name).catch((e: Error) => (this.o.log ?? createLogger({ label: 'users' })).warn(`could not delete user ${name}: ${e.message}`));
    rmSync(join(this.o.homesDir, app), { recursive: true, force: true });
  }

  /** apps:rename: the app's user, group and home take the new name; its uid stays, so its files stay its own. */
  async rename(from: string, to: string): Promise<void> {
    if (!this.enabled) return;
    this.pending.delete(from);
    const [old, name] = [this.userName(from), this.userName(to)];
    const found = lookup(old);
    if (!found) return;
    for (let i = 0; i < 20 && killAll(found.uid) > 0; i++) await sleep(50);
    await exec('usermod', ['-l', name, '-d', join(this.o.homesDir, to), '-m', old]);
    await exec('groupmod', ['-n', name, old]).catch(() => {}); // a user without its own group keeps the one it has
  }

  /** HOME, TMPDIR and the names programs read to know who they are. */
  env(user: AppUser): Record<string, string> {
    return { HOME: user.home, TMPDIR: user.tmp, USER: user.name, LOGNAME: user.name };
  }

  private async make(app: string): Promise<AppUser> {
    const name = this.userName(app);
    const home = join(this.o.homesDir, app);
    let ids = lookup(name);
    if (!ids) {
      const [min, max] = APP_UID_RANGE;
      const range = [`UID_MIN=${min}`, `UID_MAX=${max}`, `GID_MIN=${min}`, `GID_MAX=${max}`].flatMap((k) => ['-K', k]);
      await retry(() => exec('useradd', [...range, '-U', '-M', '-d', home, '-s', '/usr/sbin/nologin', '-c', `minicloud app ${app}`, name]), name);
      ids = lookup(name);
      if (!ids) throw new Error(`useradd made no user ${name}`);
    }
    const user: AppUser = { name, ...ids, home, tmp: join(home, 'tmp'), nproc: this.o.nproc };
    ownedDir(home, user, 0o700);
    ownedDir(user.tmp, user, 0o700);
    return user;
  }
}

/**
 * A directory `user` owns with `mode`, made when missing. It must be a real directory, not a link a hostile
 * app left in its place: minicloud (root) must never chown or write through one.
 */
export function ownedDir(dir: string, user: Pick<AppUser, 'uid' | 'gid'>, mode: number): void {
  mkdirSync(dir, { recursive: true, mode });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (st.uid !== user.uid || st.gid !== user.gid) chownSync(dir, user.uid, user.gid);
  if ((st.mode & 0o7777) !== mode) chmodSync(dir, mode);
}

/** Gives a whole tree to the user; links are changed themselves, never followed (`chown -R -P -h`). */
export async function ownTree(dir: string, user: Pick<AppUser, 'uid' | 'gid'>): Promise<void> {
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  await exec('chown', ['-R', '-P', '-h', `${user.uid}:${user.gid}`, dir]);
}

function lookup(name: string): { uid: number; gid: number } | null {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return null;
}

/** Signals every process of `uid` with SIGKILL; how many there were. */
function killAll(uid: number): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const m = /^Uid:\s+(\d+)/m.exec(status);
      if (Number(m?.[1]) !== uid) continue;
      process.kill(Number(pid), 'SIGKILL');
      n++;
    } catch { /* gone */ }
  }
  return n;
}

/** useradd/userdel lock /etc/passwd; another one at work (a second minicloud, an admin) fails us: try again. */
async function retry<T>(fn: () => Promise<T>, name: string): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code === 9 && lookup(name)) return undefined as T; // made by someone else meanwhile
      if (i >= 40 || ![1, 10].includes(code ?? 0)) throw e;
      await sleep(50 + Math.random() * 100);
    }
  }
}
