// Validation of names that come from users, before they touch a path, a shell or a proxy table.
import { UserError } from './errors.ts';

/** `text` without the run of `char` at its end (a loop: `/\/+$/` re-scans a long run from each of its characters). */
export function stripTrailing(text: string, char: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === char) end--;
  return text.slice(0, end);
}

const APP_NAME = /^[a-z][a-z0-9-]{0,62}$/;
// Host names minicloud serves itself under its domain: `admin.<domain>` is the dashboard.
const RESERVED_APP_NAMES = new Set(['admin']);

export function validateAppName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new UserError('an app name is required', 'try `minicloud apps:create my-app`');
  }
  if (name.length > 63) {
    throw new UserError(`app name is ${name.length} characters long; the limit is 63`, 'pick a shorter name');
  }
  if (!APP_NAME.test(name) || name.endsWith('-') || name.includes('--')) {
    throw new UserError(
      `invalid app name ${JSON.stringify(name)}`,
      'use lowercase letters, digits and single dashes, starting with a letter (e.g. `my-app`)',
    );
  }
  if (RESERVED_APP_NAMES.has(name)) {
    throw new UserError(`${name} is reserved: ${name}.<domain> serves the minicloud dashboard`, 'pick another name, e.g. `my-admin`');
  }
  return name;
}

// Names of minicloud's own endpoints (/api, /git, /dashboard, /metrics, /internal, /webhooks on the API port): an app
// called so would read as one of them at <name>.<domain>, where an operator may serve minicloud itself. Refused for new
// apps only, so an app made before keeps working. `www` stays free: minicloud serves nothing there.
const OWN_ENDPOINTS = new Set(['api', 'git', 'dashboard', 'metrics', 'internal', 'webhooks']);

/** A new app's name: valid, and not one minicloud keeps for itself. */
export function validateNewAppName(name: unknown): string {
  const app = validateAppName(name);
  if (OWN_ENDPOINTS.has(app)) {
    throw new UserError(
      `${app} is reserved: it names minicloud's own /${app} endpoint, and ${app}.<domain> is kept for serving minicloud itself`,
      `pick another name, e.g. \`my-${app}\``,
    );
  }
  return app;
}

const CONFIG_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export function validateConfigKey(key: string): string {
  if (!CONFIG_KEY.test(key)) {
    throw new UserError(
      `invalid config var name ${JSON.stringify(key)}`,
      'use letters, digits and underscores, not starting with a digit (e.g. DATABASE_URL)',
    );
  }
  return key;
}

// A git branch name, per git-check-ref-format, narrowed to what a deploy branch needs.
const BRANCH_CHARS = /^[A-Za-z0-9._/-]{1,200}$/;

/** A plain git branch name (git-check-ref-format, narrowed): what a deploy branch or a preview's may be. */
export function isBranch(b: string): boolean {
  return BRANCH_CHARS.test(b) && !b.startsWith('/') && !b.startsWith('-') && !b.endsWith('/') && !b.endsWith('.')
    && !b.endsWith('.lock') && !b.includes('//') && !b.includes('..') && !b.includes('@{');
}

export function validateBranch(branch: string): string {
  if (typeof branch !== 'string' || !isBranch(branch)) {
    throw new UserError(`invalid branch name ${JSON.stringify(branch)}`, 'use a plain branch name such as `main`');
  }
  return branch;
}

const PROCESS_TYPE = /^[a-z][a-z0-9_-]{0,29}$/;

export function isProcessType(name: string): boolean {
  return PROCESS_TYPE.test(name);
}

// Directories an app may not mount storage over: they belong to the system or to the runtime.
const RESERVED_MOUNTS = ['/', '/bin', '/boot', '/dev', '/etc', '/lib', '/lib64', '/proc', '/root', '/run', '/sbin', '/sys', '/tmp', '/usr', '/var', '/app'];

/** An absolute path inside the app's filesystem where a storage volume appears, e.g. /data. */
export function validateMountPath(input: unknown): string {
  if (typeof input !== 'string' || !input) throw new UserError('a storage path is required', 'e.g. `minicloud storage:add my-app /data`');
  const path = stripTrailing(input, '/') || '/';
  if (!/^(\/[a-z0-9][a-z0-9._-]{0,63}){1,8}$/i.test(path) || path.split('/').some((p) => p === '.' || p === '..')) {
    throw new UserError(`invalid storage path ${JSON.stringify(input)}`, 'use an absolute path of plain names, e.g. /data or /data/uploads');
  }
  if (RESERVED_MOUNTS.some((r) => path === r || (r !== '/' && path.startsWith(`${r}/`)))) {
    throw new UserError(`${path} is a system directory`, 'pick another path, e.g. /data');
  }
  return path;
}
