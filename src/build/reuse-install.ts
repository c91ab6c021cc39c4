// A code-only push on the host: the dependencies the previous build installed are copied instead of installed again.
import { lstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BuildPlan } from '../core/index.ts';
import { FILE_LIMIT, readTreeFile, treeHas } from './tree-file.ts';

/** The previous build of the app, as the current release holds it: its directory and the config it was built with. */
export interface PreviousBuild {
  dir: string;
  version: number;
  config: Record<string, string>;
}

/** npm runs these around an install: they may write outside the dependency directory, so they run again. */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare', 'prepublish'];

const sameText = (a: string, b: string, f: string) => readTreeFile(a, f, { limit: FILE_LIMIT }) === readTreeFile(b, f, { limit: FILE_LIMIT });
const sameConfig = (a: Record<string, string>, b: Record<string, string>) => {
  const ka = Object.keys(a).sort();
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
};

/**
 * Why the install steps can be skipped (the previous build's dependency directory copied instead), or null when
 * they must run: the manifests and lockfiles that decide the install are byte for byte the previous build's, so
 * is the config the steps see, the pushed tree has no dependency directory of its own, and package.json has no
 * install scripts. `NODE_MODULES_CACHE=false` (as on Heroku) always installs.
 */
export function reusable(plan: BuildPlan, src: string, config: Record<string, string>, prev: PreviousBuild | undefined): string | null {
  const r = plan.reuse;
  if (!r || !prev || !plan.install.length || config.NODE_MODULES_CACHE === 'false') return null;
  // Only a build directory of this app's (builds/<app>/<id>), never a path from anywhere else.
  if (dirname(prev.dir) !== dirname(src) || prev.dir === src) return null;
  if (lstatSync(join(src, r.dir), { throwIfNoEntry: false }) || !dirExists(join(prev.dir, r.dir))) return null;
  if (!r.files.every((f) => sameText(src, prev.dir, f)) || !sameConfig(config, prev.config)) return null;
  if (installScripts(src)) return null;
  return `${r.dir} of v${prev.version} reused: ${r.files.filter((f) => treeHas(src, f)).join(', ')} and the config are unchanged`;
}

/** A directory itself, not a link to one. */
const dirExists = (path: string) => lstatSync(path, { throwIfNoEntry: false })?.isDirectory() === true;

function installScripts(src: string): boolean {
  try {
    const pkg = JSON.parse(readTreeFile(src, 'package.json', { limit: FILE_LIMIT }) ?? '{}') as { scripts?: Record<string, unknown> } | null;
    return INSTALL_SCRIPTS.some((s) => pkg?.scripts?.[s] !== undefined);
  } catch {
    return true; // npm's install says what is wrong with it
  }
}
