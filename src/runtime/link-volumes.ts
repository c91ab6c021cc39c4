// Storage for host processes: the volume's host directory appears at its path inside the release directory.
import { lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { InstanceSpec } from './runtime.ts';

/**
 * `/data` becomes `<release>/data`, a link to the volume. Whatever the release had there is replaced,
 * as a Docker volume mounted over it would hide it.
 */
export function linkVolumes(spec: InstanceSpec): void {
  for (const v of spec.volumes ?? []) {
    mkdirSync(v.hostDir, { recursive: true, mode: 0o700 });
    const target = join(spec.artifact.ref, v.path.slice(1));
    const existing = lstatSync(target, { throwIfNoEntry: false });
    if (existing?.isSymbolicLink() && readlinkSync(target) === v.hostDir) continue;
    if (existing) rmSync(target, { recursive: true, force: true });
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(v.hostDir, target, 'dir');
  }
}
