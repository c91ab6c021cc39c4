// Storage for host processes: the volume's host directory appears at its path inside the release directory.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, readlinkSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { UserError, ownTree, ownedDir, type AppUser } from '../core/index.ts';
import { releaseDir, storageVolume, type InstanceSpec } from './runtime.ts';

/**
 * `/data` becomes `<release>/data`, a link to the volume. Whatever the release had there is replaced,
 * as a Docker volume mounted over it would hide it. Links the app put in its own tree are never followed
 * out of it: with a per-app user the link is made by that user; without one, the path is checked first.
 */
export async function linkVolumes(spec: InstanceSpec, user: AppUser | null): Promise<void> {
  for (const v of spec.volumes ?? []) {
    await volumeDir(v.hostDir, v.path, user);
    const target = join(releaseDir(spec), v.path.slice(1));
    const existing = lstatSync(target, { throwIfNoEntry: false });
    if (existing?.isSymbolicLink() && readlinkSync(target) === v.hostDir) continue;
    if (user) {
      execFileSync('/bin/sh', ['-c', 'rm -rf -- "$1" && mkdir -p -- "$(dirname -- "$1")" && ln -s -- "$2" "$1"', 'sh', target, v.hostDir],
        { uid: user.uid, gid: user.gid, cwd: releaseDir(spec), stdio: 'ignore' });
      continue;
    }
    if (existing) rmSync(target, { recursive: true, force: true });
    mkdirSync(dirname(target), { recursive: true });
    const inside = realpathSync(releaseDir(spec)) + sep;
    if (!(realpathSync(dirname(target)) + sep).startsWith(inside)) {
      throw new UserError(`${v.path} of the volume leads out of the release through a link`, `remove the link on the way to ${v.path} from the repository`);
    }
    symlinkSync(v.hostDir, target, 'dir');
  }
}

/** `STORAGE_DIR` for a host process: its storage volume where it sees it, `<release>/data` (the link to the volume). */
export function storageEnv(spec: InstanceSpec): { STORAGE_DIR?: string } {
  const v = storageVolume(spec);
  return v ? { STORAGE_DIR: join(releaseDir(spec), v.path.slice(1)) } : {};
}

/**
 * The volume's host directory, `<volumes>/<app>/<path>`: with a per-app user, the directories above it are
 * root's and open to the app's group only (the app cannot swap them for links), the volume itself the app's.
 */
async function volumeDir(hostDir: string, path: string, user: AppUser | null): Promise<void> {
  if (!user) {
    mkdirSync(hostDir, { recursive: true, mode: 0o700 });
    return;
  }
  const base = hostDir.slice(0, hostDir.length - path.length);
  const parts = path.slice(1).split('/');
  let dir = base;
  for (const part of [null, ...parts.slice(0, -1)]) {
    if (part) dir = join(dir, part);
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    const st = lstatSync(dir);
    if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
    if (st.uid === 0 && st.gid !== user.gid) chownSync(dir, 0, user.gid);
    if (st.uid === 0) chmodSync(dir, 0o750);
  }
  const before = lstatSync(hostDir, { throwIfNoEntry: false });
  ownedDir(hostDir, user, 0o700);
  // Restored from a backup, or written before per-app users: all of it is the app's now.
  if (before && before.uid !== user.uid) await ownTree(hostDir, user);
}
