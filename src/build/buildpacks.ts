// Buildpacks as data: loading buildpacks/<lang>/buildpack.json and turning one into a BuildPlan.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKOUT, UserError, type BuildPlan } from '../core/index.ts';
import { npmScript } from './npm-script.ts';
import { parseProcfile } from './procfile.ts';
import { DETECT_LIMIT, FILE_LIMIT, PROCFILE_LIMIT, readTreeFile, treeHas } from './tree-file.ts';

/** A command that applies when all its conditions hold (none: always). */
interface Step {
  /** A file that must exist at the root of the app. */
  when?: string;
  /** A script package.json must define. */
  whenScript?: string;
  /** A pattern (flags `im`) one of these root files must match, e.g. a dependency's name in requirements.txt. */
  whenMatch?: { files: string[]; pattern: string };
  run: string;
}

export interface Buildpack {
  name: string;
  description: string;
  detect: string[];
  install: Step[];
  build: Step[];
  /**
   * The default `web` command when the Procfile has none: a command, the first step that applies, or
   * null for no default (a repository Dockerfile: the image's own CMD).
   */
  start: string | Step[] | null;
  /** Where `start` steps find nothing: what the user should add (the UserError's hint). */
  startHint?: string;
  /** The `web` command on the host builder when it differs from the image's (static: Node, not busybox). */
  hostStart?: string;
  /** Directories (relative to the app) the host builder puts first on PATH of every process, when they exist. */
  hostPath?: string[];
  /** The Dockerfile beside buildpack.json; null: the repository's own `Dockerfile`. */
  dockerfile?: string | null;
  /** Dockerfile ARGs with their defaults (official images); MINICLOUD_<ARG>_<PACK> overrides each. */
  buildArgs?: Record<string, string>;
  /**
   * The pack's commands that only run an npm script (`"npm start": "start"`): the plan runs the script's own
   * command instead, so no npm stays resident beside the app (see npm-script.ts).
   */
  npmScripts?: Record<string, string>;
  /** What the host builder may copy from the previous build instead of installing (see reuse-install.ts). */
  reuse?: { dir: string; files: string[] };
  cacheEnv: Record<string, string>;
  env: Record<string, string>;
  cacheDirs: string[];
  dir: string;
}

export const BUILDPACKS_DIR = `${join(CHECKOUT, 'buildpacks')}/`;

// Order matters: the first buildpack whose files are present wins; a repository Dockerfile beats them all.
const ORDER = ['dockerfile', 'node', 'python', 'ruby', 'go', 'static'];

export function loadBuildpacks(dir = BUILDPACKS_DIR): Buildpack[] {
  const names = readdirSync(dir).filter((n) => existsSync(join(dir, n, 'buildpack.json')));
  names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return names.map((n) => ({ ...(JSON.parse(readFileSync(join(dir, n, 'buildpack.json'), 'utf8')) as Buildpack), dir: join(dir, n) }));
}

const rank = (n: string) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);

function scripts(src: string): Record<string, string> {
  const text = readTreeFile(src, 'package.json', { limit: FILE_LIMIT });
  try {
    const pkg = JSON.parse(text ?? '{}') as { scripts?: Record<string, string> } | null;
    return pkg?.scripts ?? {};
  } catch {
    return {}; // npm itself reports a broken package.json, in the build's own words
  }
}

function matches(src: string, m: { files: string[]; pattern: string }): boolean {
  const re = new RegExp(m.pattern, 'im');
  return m.files.some((f) => {
    const text = readTreeFile(src, f, { limit: DETECT_LIMIT, truncate: true });
    return text !== null && re.test(text);
  });
}

function applies(s: Step, src: string): boolean {
  return (s.when === undefined || treeHas(src, s.when))
    && (s.whenScript === undefined || s.whenScript in scripts(src))
    && (s.whenMatch === undefined || matches(src, s.whenMatch));
}

function pick(steps: Step[], src: string, first: boolean): string[] {
  const chosen = steps.filter((s) => applies(s, src)).map((s) => s.run);
  return first ? chosen.slice(0, 1) : chosen;
}

export function detect(src: string, packs: Buildpack[]): Buildpack {
  const pack = packs.find((p) => p.detect.some((f) => treeHas(src, f)));
  if (!pack) {
    const known = packs.map((p) => `${p.name} (${p.detect.join(', ')})`).join('; ');
    throw new UserError('no buildpack recognised this app', `add one of the files a buildpack looks for: ${known}`);
  }
  return pack;
}

/** `MINICLOUD_BASE_IMAGE_NODE` for ARG BASE_IMAGE of the node pack: the operator's override of one build arg. */
export const buildArgEnvName = (arg: string, pack: string) => `MINICLOUD_${arg}_${pack}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');

/** The pack's build args with the operator's overrides from `env` applied. */
export function buildArgsFor(pack: Buildpack, env: Record<string, string | undefined>): Record<string, string> {
  const args: Record<string, string> = {};
  for (const [arg, value] of Object.entries(pack.buildArgs ?? {})) args[arg] = env[buildArgEnvName(arg, pack.name)] || value;
  return args;
}

function defaultWeb(src: string, pack: Buildpack): string | null {
  if (pack.start === null) return null;
  if (typeof pack.start === 'string') return pack.start;
  const [web] = pick(pack.start, src, true);
  if (web) return web;
  throw new UserError(`this ${pack.name} app has no web command`, pack.startHint ?? 'add a Procfile with a `web:` line');
}

/** A pack command that runs an npm script, as the script's own command where npm adds nothing; else as it was, with why. */
function direct(src: string, pack: Buildpack, command: string | Step[]): { command: string; run?: string; note?: string } | null {
  if (typeof command !== 'string') return null;
  const event = pack.npmScripts?.[command];
  if (!event) return { command };
  const s = npmScript(src, event, command);
  if (!s.direct) return { command, note: `\`${command}\` runs through npm: ${s.why}` };
  return { command, run: s.command, note: `\`${command}\` runs the script's command directly, with no npm process beside it` };
}

export function planFor(src: string, pack: Buildpack, env: Record<string, string | undefined> = process.env): BuildPlan {
  const procfile = readTreeFile(src, 'Procfile', { limit: PROCFILE_LIMIT });
  const processes = procfile === null ? {} : parseProcfile(procfile);
  if (!processes.web) {
    const web = defaultWeb(src, pack);
    if (web) processes.web = web;
  }
  const web = pack.start !== null && processes.web === pack.start ? direct(src, pack, pack.start) : null;
  const build = pick(pack.build, src, false).map((c) => direct(src, pack, c));
  const notes = [web, ...build].flatMap((d) => (d?.note ? [d.note] : []));
  // Build steps keep their names in the log and in errors (`npm run build` failed …); this is what runs.
  const run = Object.fromEntries(build.flatMap((d) => (d?.run && d.run !== d.command ? [[d.command, d.run]] : [])));
  if (web?.run) processes.web = web.run;
  const buildArgs = buildArgsFor(pack, env);
  const dockerfile = pack.dockerfile === null ? null : join(pack.dir, pack.dockerfile ?? 'Dockerfile');
  return {
    buildpack: pack.name,
    baseImage: buildArgs.BASE_IMAGE ?? '',
    dockerfile,
    buildArgs,
    install: pick(pack.install, src, true),
    build: build.map((d) => d!.command),
    ...(Object.keys(run).length && { run }),
    processes,
    cacheDirs: pack.cacheDirs,
    env: { ...pack.env, ...pack.cacheEnv },
    ...(pack.hostStart && typeof pack.start === 'string' && processes.web === pack.start && { hostWeb: pack.hostStart }),
    ...(notes.length && { notes }),
    ...(pack.reuse && { reuse: { dir: pack.reuse.dir, files: [...pack.reuse.files] } }),
    ...(pack.hostPath?.length && { hostPath: pack.hostPath }),
  };
}
