// The admin token and the git hook's token: made on first start, kept in files only their owner reads.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { UserError } from '../../core/index.ts';
import { MIN_TOKEN_LENGTH, newTokenSecret } from './principals.ts';

const newToken = () => randomBytes(24).toString('base64url');

/** MINICLOUD_TOKEN, else <data>/admin.token (made on first start). A short one is refused: it could be guessed. */
export function adminToken(fromEnv: string | null, file: string): { token: string; created: boolean } {
  if (fromEnv) return { token: checkLength(fromEnv, 'MINICLOUD_TOKEN'), created: false };
  if (existsSync(file)) return { token: checkLength(readFileSync(file, 'utf8').trim(), file), created: false };
  const token = newTokenSecret();
  writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
  return { token, created: true };
}

function checkLength(token: string, where: string): string {
  if (token.length >= MIN_TOKEN_LENGTH) return token;
  throw new UserError(
    `${where} is ${token.length} characters long; tokens must have at least ${MIN_TOKEN_LENGTH}`,
    where === 'MINICLOUD_TOKEN'
      ? 'make a long random one, e.g. MINICLOUD_TOKEN=$(openssl rand -hex 32), and restart'
      : `delete ${where} and restart: minicloud makes a new one`,
  );
}

/** The hook's token survives restarts, so a push waiting on its build can reconnect after one. */
export function hookToken(file: string): string {
  if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { token: string }).token;
  return newToken();
}

/** Written after the API listens: the hook reads where to call and with what token. */
export function writeHookConfig(file: string, cfg: { url: string; token: string }): void {
  writeFileSync(file, JSON.stringify(cfg), { mode: 0o600 });
}
