// The admin token and the git hook's token: made on first start, kept in files only their owner reads.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const newToken = () => randomBytes(24).toString('base64url');

export function adminToken(fromEnv: string | null, file: string): { token: string; created: boolean } {
  if (fromEnv) return { token: fromEnv, created: false };
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), created: false };
  const token = newToken();
  writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
  return { token, created: true };
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
