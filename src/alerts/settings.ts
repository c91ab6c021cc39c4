// Reading the alert settings from the environment (the composition root's config.ts calls it once).
import { UserError } from '../core/index.ts';
import type { AlertSettings, Threshold } from './types.ts';

function number(env: NodeJS.ProcessEnv, name: string, fallback: number, what: string, min = 0): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new UserError(`${name}=${raw} is not ${what}`, `e.g. ${name}=${fallback}`);
  return n;
}

/** `10%` (of the whole) or a number of MiB. */
export function parseThreshold(name: string, raw: string | undefined, fallback: Threshold): Threshold {
  const v = raw?.trim();
  if (!v) return fallback;
  const m = /^(\d+(?:\.\d+)?)\s*(%|M|MB|MiB)?$/i.exec(v);
  const n = m ? Number(m[1]) : Number.NaN;
  if (!m || !Number.isFinite(n) || (m[2] === '%' && n > 100)) {
    throw new UserError(`${name}=${v} is not a threshold`, `give a percentage of the whole (${name}=10%) or MiB (${name}=2048)`);
  }
  return m[2] === '%' ? { percent: n } : { mb: n };
}

export function alertSettings(env: NodeJS.ProcessEnv, domain: string): AlertSettings {
  const smtpUrl = env.MINICLOUD_SMTP_URL?.trim() || null;
  if (smtpUrl && !/^smtps?:\/\/[^\s]+$/i.test(smtpUrl)) {
    throw new UserError('MINICLOUD_SMTP_URL is not an smtp:// or smtps:// URL', 'e.g. MINICLOUD_SMTP_URL=smtps://user:password@smtp.example.com:465');
  }
  const smtpFrom = env.MINICLOUD_SMTP_FROM?.trim() || `minicloud@${domain.includes('.') ? domain : 'localhost'}`;
  if (/[\r\n]/.test(smtpFrom)) throw new UserError('MINICLOUD_SMTP_FROM holds a line break', 'e.g. MINICLOUD_SMTP_FROM="minicloud <ops@example.com>"');
  return {
    smtpUrl, smtpFrom,
    timeoutMs: number(env, 'MINICLOUD_ALERT_TIMEOUT', 10, 'a number of seconds', 0.1) * 1000,
    perHour: Math.floor(number(env, 'MINICLOUD_ALERT_RATE', 30, 'a number of messages per hour', 1)),
    diskFree: parseThreshold('MINICLOUD_ALERT_DISK_FREE', env.MINICLOUD_ALERT_DISK_FREE, { percent: 10 }),
    memoryFree: parseThreshold('MINICLOUD_ALERT_MEMORY_FREE', env.MINICLOUD_ALERT_MEMORY_FREE, { percent: 5 }),
    checkMs: number(env, 'MINICLOUD_ALERT_CHECK_INTERVAL', 60, 'a number of seconds', 0.1) * 1000,
    loopCrashes: Math.floor(number(env, 'MINICLOUD_ALERT_CRASHES', 3, 'a whole number of crashes', 1)),
    stableMs: number(env, 'MINICLOUD_ALERT_STABLE', 120, 'a number of seconds') * 1000,
  };
}
