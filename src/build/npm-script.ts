// `npm start` / `npm run build` without npm: the script's own command, with what npm would have given it.
import { FILE_LIMIT, readTreeFile, treeHas } from './tree-file.ts';

/** The command that runs the script directly, or npm kept (and why, for the build log). */
export type ScriptCommand = { direct: true; command: string } | { direct: false; command: string; why: string };

interface PackageJson {
  name?: unknown;
  version?: unknown;
  config?: unknown;
  engines?: unknown;
  bin?: unknown;
  scripts?: Record<string, unknown>;
}

/** Characters that make a script more than one plain command: it then runs through `sh -c`, as npm runs it. */
const SHELL_SYNTAX = /[;&|<>()`$\\\n\r"'*?[\]{}~#!]/;
/** `NAME=value` words before the command (`NODE_ENV=production node server.js`). */
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
/** Names `env` can set: npm's derived names (`npm_package_bin_my-cli`) may hold dashes and dots. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.@/-]*$/;
/** More variables than this (a huge `config` object) and npm keeps the job rather than one very long command line. */
const MAX_VARS = 64;

export const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * npm's package variables (name, version, config, engines, bin: @npmcli/run-script's package-envs, as npm 7+
 * sets them), flattened the same way: nested keys joined by `_`, arrays by index, null and false as ''.
 */
function packageVars(pkg: PackageJson): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (vals: Record<string, unknown>, prefix: string) => {
    for (const [key, val] of Object.entries(vals)) {
      if (val === undefined) continue;
      if (val === null || val === false) out[`${prefix}${key}`] = '';
      else if (Array.isArray(val)) val.forEach((item, i) => { walk({ [`${key}_${i}`]: item }, prefix); });
      else if (typeof val === 'object') walk(val as Record<string, unknown>, `${prefix}${key}_`);
      else out[`${prefix}${key}`] = String(val);
    }
  };
  walk({ name: pkg.name, version: pkg.version, config: pkg.config, engines: pkg.engines, bin: pkg.bin }, 'npm_package_');
  return out;
}

function readPackage(src: string): PackageJson | null {
  try {
    const pkg = JSON.parse(readTreeFile(src, 'package.json', { limit: FILE_LIMIT }) ?? 'null') as unknown;
    return pkg && typeof pkg === 'object' && !Array.isArray(pkg) ? (pkg as PackageJson) : null;
  } catch {
    return null; // npm reports a broken package.json in its own words
  }
}

/**
 * What `npm run <event>` in `src` runs, as a command for `sh -c "exec <command>"` (how the runtimes and the build
 * start a process) that leaves no npm behind: `env` sets PATH (the app's node_modules/.bin first) and npm's
 * variables, then execs the script's command itself, or `sh -c` with the script when it is shell syntax. npm stays
 * where it would do more than that: pre/post scripts, a missing script (npm says so in its words), a package.json
 * it cannot read.
 */
export function npmScript(src: string, event: string, npmCommand: string): ScriptCommand {
  const keep = (why: string): ScriptCommand => ({ direct: false, command: npmCommand, why });
  const pkg = readPackage(src);
  if (!pkg) return keep('package.json could not be read here');
  const scripts = pkg.scripts && typeof pkg.scripts === 'object' ? pkg.scripts : {};
  // npm's own default: `npm start` with no start script runs `node server.js` when there is one.
  const script = scripts[event] ?? (event === 'start' && treeHas(src, 'server.js') ? 'node server.js' : undefined);
  if (typeof script !== 'string' || !script.trim()) return keep(`package.json has no "${event}" script`);
  for (const hook of [`pre${event}`, `post${event}`]) if (hook in scripts) return keep(`package.json has a "${hook}" script, which npm runs around it`);
  const vars = {
    ...packageVars(pkg),
    npm_lifecycle_event: event,
    npm_lifecycle_script: script,
    npm_command: event === 'start' ? 'start' : 'run-script',
  };
  const names = Object.keys(vars);
  if (names.length > MAX_VARS || !names.every((n) => ENV_NAME.test(n))) return keep('package.json has fields npm turns into many or unusual variables');
  const set = Object.entries(vars).map(([k, v]) => `${k}=${quote(v)}`);
  // $PWD is the app's directory when the command runs (the release on the host, /app in an image).
  const ours = ['PATH="$PWD/node_modules/.bin:$PATH"', 'npm_package_json="$PWD/package.json"', 'INIT_CWD="$PWD"', ...set].join(' ');
  const trimmed = script.trim();
  if (SHELL_SYNTAX.test(trimmed)) return { direct: true, command: `env ${ours} sh -c ${quote(script)}` };
  // One plain command: env takes its leading assignments too and execs the program, which is then the process.
  const words = trimmed.split(/\s+/);
  const program = words.findIndex((w) => !ASSIGNMENT.test(w));
  const first = words[program];
  if (first === undefined) return keep(`the "${event}" script runs no command`);
  if (first.startsWith('-') || first.includes('=')) return { direct: true, command: `env ${ours} sh -c ${quote(script)}` };
  return { direct: true, command: `env ${ours} ${words.join(' ')}` };
}
