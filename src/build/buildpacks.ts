// Buildpacks as data: loading buildpacks/<lang>/buildpack.json and turning one into a BuildPlan.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError, type BuildPlan } from '../core/index.ts';
import { parseProcfile } from './procfile.ts';

interface Step { when?: string; whenScript?: string; run: string }

export interface Buildpack {
  name: string;
  description: string;
  detect: string[];
  baseImage: string;
  install: Step[];
  build: Step[];
  start: string;
  cacheEnv: Record<string, string>;
  env: Record<string, string>;
  cacheDirs: string[];
  dir: string;
}

export const BUILDPACKS_DIR = fileURLToPath(new URL('../../buildpacks/', import.meta.url));

// Order matters: the first buildpack whose files are present wins.
const ORDER = ['node', 'python', 'ruby', 'go', 'static'];

export function loadBuildpacks(dir = BUILDPACKS_DIR): Buildpack[] {
  const names = readdirSync(dir).filter((n) => existsSync(join(dir, n, 'buildpack.json')));
  names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return names.map((n) => ({ ...(JSON.parse(readFileSync(join(dir, n, 'buildpack.json'), 'utf8')) as Buildpack), dir: join(dir, n) }));
}

const rank = (n: string) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);

function scripts(src: string): Record<string, string> {
  try {
    const pkg = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    return pkg.scripts ?? {};
  } catch {
    return {};
  }
}

function pick(steps: Step[], src: string, first: boolean): string[] {
  const applies = (s: Step) =>
    (s.when === undefined || existsSync(join(src, s.when))) && (s.whenScript === undefined || s.whenScript in scripts(src));
  const chosen = steps.filter(applies).map((s) => s.run);
  return first ? chosen.slice(0, 1) : chosen;
}

export function detect(src: string, packs: Buildpack[]): Buildpack {
  const pack = packs.find((p) => p.detect.some((f) => existsSync(join(src, f))));
  if (!pack) {
    const known = packs.map((p) => `${p.name} (${p.detect.join(', ')})`).join('; ');
    throw new UserError('no buildpack recognised this app', `add one of the files a buildpack looks for: ${known}`);
  }
  return pack;
}

export function planFor(src: string, pack: Buildpack): BuildPlan {
  const procfile = join(src, 'Procfile');
  const processes = existsSync(procfile) ? parseProcfile(readFileSync(procfile, 'utf8')) : {};
  if (!processes.web) processes.web = pack.start;
  return {
    buildpack: pack.name,
    baseImage: pack.baseImage,
    install: pick(pack.install, src, true),
    build: pick(pack.build, src, false),
    processes,
    cacheDirs: pack.cacheDirs,
    env: { ...pack.env, ...pack.cacheEnv },
  };
}
