// Shared by the providers: name validation, passwords, admin URLs from the environment, friendly errors.
import { randomBytes } from 'node:crypto';
import { UserError } from '../core/index.ts';

// Lowercase letters, digits and underscores: safe as a SQL identifier, a vhost, an ACL user and a glob
// prefix. 63 is PostgreSQL's identifier limit (longer names would be truncated silently, and could collide).
const ADDON_NAME = /^[a-z][a-z0-9_]{0,62}$/;

// Names the servers themselves use: "creating" one would re-grant or re-password a system account or database.
const RESERVED = new Set([
  'root', 'admin', 'default', 'guest', 'postgres', 'public', 'template0', 'template1',
  'mysql', 'mariadb', 'sys', 'information_schema', 'performance_schema',
]);

/** Bytes for people: `16.0 KB`, `12.3 MB`. */
export const megabytes = (n: number): string => (n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : n < 1024 ** 3 ? `${(n / 1024 ** 2).toFixed(1)} MB` : `${(n / 1024 ** 3).toFixed(2)} GB`);

export function validateAddonName(name: unknown, adminUser?: string): string {
  if (typeof name === 'string' && (RESERVED.has(name) || name === adminUser)) {
    throw new UserError(`add-on name ${JSON.stringify(name)} is reserved by the server`, 'prefix it, e.g. app_myapp');
  }
  if (typeof name !== 'string' || !ADDON_NAME.test(name)) {
    throw new UserError(
      `invalid add-on name ${JSON.stringify(name)}`,
      'use lowercase letters, digits and underscores, starting with a letter, at most 63 characters (e.g. app_myapp)',
    );
  }
  return name;
}

export function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

export interface AdminUrl {
  variable: string;
  url: URL;
  /** The admin's user name, decoded; never a valid add-on name. */
  user: string;
  /** `url` with the host apps reach the server at (see appFacing); apps' URLs are made from it. */
  appUrl: URL;
}

/**
 * The admin URL as apps see it: `<VARIABLE minus _URL>_APP_HOST` (host or host:port) replaces its host,
 * for servers minicloud reaches at one address and apps at another (127.0.0.1 inside an app's container is
 * the container itself). Unset, apps get the admin URL's host.
 */
export function appFacing(env: NodeJS.ProcessEnv, variable: string, url: URL): URL {
  const name = variable.replace(/_URL$/, '_APP_HOST');
  const raw = env[name]?.trim();
  if (!raw) return url;
  const m = /^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+)(?::(\d{1,5}))?$/.exec(raw);
  if (!m || (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535))) {
    throw new UserError(`${name}=${raw} is not a host or host:port`, `set it to the address apps reach the server at, e.g. ${name}=minicloud-postgres:5432`);
  }
  const u = new URL(url.href);
  u.hostname = m[1]!;
  if (m[2] !== undefined) u.port = m[2];
  return u;
}

/** Reads and checks an admin URL; the messages never echo the value, which may hold a password. */
export function adminUrl(
  env: NodeJS.ProcessEnv, variable: string, what: string, example: string, protocols: string[],
): AdminUrl {
  const raw = env[variable]?.trim();
  const hint = `set it to ${what}'s admin URL, e.g. ${example}`;
  if (!raw) throw new UserError(`${variable} is not set: ${hint}`, hint);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UserError(`${variable} is not a valid URL: ${hint}`, hint);
  }
  if (!protocols.includes(url.protocol) || !url.hostname) {
    throw new UserError(`${variable} must be a ${protocols.join(' or ')}//host URL: ${hint}`, hint);
  }
  if (!url.password) {
    // Over TCP a server that lets the admin in without a password lets every app on this host (or bridge) in as the admin.
    throw new UserError(`${variable} has no password: over TCP, anyone who reaches ${url.hostname} could log in as its admin, and every app's own password would protect nothing`,
      `give the server's admin user a password and put it in the URL, e.g. ${example}`);
  }
  try {
    decodeURIComponent(url.password); // the providers decode it later: fail here, naming the variable
    return { variable, url, user: decodeURIComponent(url.username), appUrl: appFacing(env, variable, url) };
  } catch {
    throw new UserError(`${variable} has a badly percent-encoded user or password: ${hint}`, hint);
  }
}

const ADMIN_URL_VARIABLES = ['MINICLOUD_MARIADB_URL', 'MINICLOUD_POSTGRES_URL', 'MINICLOUD_RABBITMQ_URL', 'MINICLOUD_REDIS_ADDON_URL'];
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * For apps in containers: each shared server whose admin URL names loopback with no app-facing host set, as a
 * warning saying what to set (inside an app's container 127.0.0.1 is the container itself).
 */
export function loopbackWarnings(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const variable of ADMIN_URL_VARIABLES) {
    let host: string;
    try {
      host = new URL(env[variable]?.trim() ?? '').hostname;
    } catch {
      continue; // unset or malformed: the provider says so when it is used
    }
    const appHost = variable.replace(/_URL$/, '_APP_HOST');
    if (LOOPBACK.test(host) && !env[appHost]?.trim()) {
      out.push(`${variable} names ${host}, which inside an app's container is the container itself: `
        + `set ${appHost} to an address app containers reach the server at (host or host:port)`);
    }
  }
  return out;
}

/** host:port for messages, without credentials. */
export function where(u: URL, defaultPort: number): string {
  return `${u.hostname}:${u.port || defaultPort}`;
}

/** The admin URL with the app's user and password in it, and optionally another path. */
export function withUser(admin: URL, user: string, password: string, path?: string): string {
  const u = new URL(admin.href);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  if (path !== undefined) u.pathname = path;
  return u.href;
}

/** The admin connection failed: say which variable to fix, without the password. */
export function unreachable(a: AdminUrl, what: string, defaultPort: number, e: unknown, hint?: string): UserError {
  const code = e instanceof Error && 'code' in e && e.code ? String(e.code) : '';
  const message = e instanceof Error ? e.message : String(e);
  const reason = code && !message.includes(code) ? `${code}: ${message}` : message || code;
  return new UserError(
    `cannot use ${what} at ${where(a.url, defaultPort)} with ${a.variable}: ${reason}`,
    hint ?? `check that the server is running and that ${a.variable} holds an admin user's URL`,
    503,
  );
}
