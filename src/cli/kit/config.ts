// The saved login ($XDG_CONFIG_HOME/minicloud/config.json) and which server and token a command uses.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../core/index.ts';

export const DEFAULT_URL = 'http://localhost:7080';

export interface SavedLogin {
  url?: string;
  token?: string;
}

type Env = Record<string, string | undefined>;

export function configPath(env: Env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'minicloud', 'config.json');
}

export function readSaved(env: Env): SavedLogin {
  let text: string;
  try {
    text = readFileSync(configPath(env), 'utf8');
  } catch {
    return {};
  }
  try {
    const data = JSON.parse(text) as SavedLogin;
    return {
      url: typeof data.url === 'string' ? data.url : undefined,
      token: typeof data.token === 'string' ? data.token : undefined,
    };
  } catch {
    throw new UserError(`${configPath(env)} is not valid JSON`, 'run `minicloud login` again to rewrite it');
  }
}

export function saveLogin(env: Env, login: Required<SavedLogin>): string {
  const file = configPath(env);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  chmodSync(dirname(file), 0o700);
  writeFileSync(file, JSON.stringify({ url: login.url, token: login.token }, null, 2) + '\n', { mode: 0o600 });
  // writeFile's mode only applies when it creates the file; an older file may be wider.
  chmodSync(file, 0o600);
  return file;
}

export function normalizeUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UserError(`invalid server URL ${JSON.stringify(raw)}`, "use your server's URL, such as https://admin.example.com (or http://localhost:7080 on the server itself)");
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError(`invalid server URL ${JSON.stringify(raw)}`, 'the URL must start with http:// or https://');
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * On the server's own machine, the admin token file written by `npm start` (readable only by its
 * owner) logs the CLI in: the first minutes need no copy and paste.
 */
function localAdminToken(env: Env, url: string): string | undefined {
  const host = new URL(url).hostname;
  if (!['localhost', '127.0.0.1', '[::1]'].includes(host)) return undefined;
  const file = env.MINICLOUD_DATA
    ? join(env.MINICLOUD_DATA, 'admin.token')
    : fileURLToPath(new URL('../../../data/admin.token', import.meta.url));
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Env wins over the saved login, so one shell can point at another server without logging out. */
export function resolveServer(env: Env): { url: string; token: string | undefined } {
  const saved = readSaved(env);
  const url = normalizeUrl(env.MINICLOUD_URL || saved.url || DEFAULT_URL);
  return { url, token: env.MINICLOUD_TOKEN || saved.token || localAdminToken(env, url) };
}
