// Per-app router settings (`minicloud router:set`): their names, values and validation, shared by the API and the CLI.
import { UserError } from './errors.ts';

/** What GET /api/apps/:app/router answers and PUT changes. */
export interface RouterSettings {
  /** The app's upstream idle timeout in seconds; null: the router's default. */
  timeoutSeconds: number | null;
  /** Plain HTTP requests get a 308 to HTTPS (ACME challenges excepted). */
  httpsOnly: boolean;
}

export interface RouterReport extends RouterSettings {
  /** The router's default timeout, for showing what `null` means. */
  defaultTimeoutSeconds: number;
}

export const ROUTER_SETTINGS = ['timeout', 'https-only'] as const;
export type RouterSettingName = (typeof ROUTER_SETTINGS)[number];
export const MAX_ROUTER_TIMEOUT_SECONDS = 3600;
/** The router's upstream idle timeout unless an app sets its own. */
export const DEFAULT_ROUTER_TIMEOUT_SECONDS = 30;

const USAGE = 'e.g. `minicloud router:set <app> timeout 60` (1 to 3600 seconds, or default), `minicloud router:set <app> https-only true`';

/**
 * One setting from its name and value as typed (`timeout 60`, `https-only true`): the change to
 * store, or a UserError (400) saying what is wrong.
 */
export function parseRouterSetting(name: unknown, value: unknown): Partial<RouterSettings> {
  const raw = typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value === 'string' ? value.trim().toLowerCase() : undefined;
  if (name === 'timeout') {
    if (raw === 'default') return { timeoutSeconds: null };
    const n = raw === undefined || raw === '' ? NaN : Number(raw.replace(/s$/, ''));
    if (!Number.isInteger(n) || n < 1 || n > MAX_ROUTER_TIMEOUT_SECONDS) {
      throw new UserError(`timeout must be a whole number of seconds from 1 to ${MAX_ROUTER_TIMEOUT_SECONDS}, or default (got ${JSON.stringify(value ?? null)})`, USAGE);
    }
    return { timeoutSeconds: n };
  }
  if (name === 'https-only') {
    if (raw === 'true' || raw === 'on' || raw === 'yes') return { httpsOnly: true };
    if (raw === 'false' || raw === 'off' || raw === 'no') return { httpsOnly: false };
    throw new UserError(`https-only must be true or false (got ${JSON.stringify(value ?? null)})`, USAGE);
  }
  throw new UserError(`${JSON.stringify(name ?? null)} is not a router setting; there are: ${ROUTER_SETTINGS.join(', ')}`, USAGE);
}
