// Per-app router settings (`minicloud router:set`): their names, values and validation, shared by the API and the CLI.
import { UserError } from './errors.ts';

/** What GET /api/apps/:app/router answers and PUT changes. */
export interface RouterSettings {
  /** The app's upstream idle timeout in seconds; null: the router's default. */
  timeoutSeconds: number | null;
  /** Plain HTTP requests get a 308 to HTTPS (ACME challenges excepted). */
  httpsOnly: boolean;
  /** Most request body bytes the router passes to the app (413 beyond); 0: no limit; null: the default. */
  maxBodyBytes: number | null;
}

export interface RouterReport extends RouterSettings {
  /** The router's default timeout, for showing what `null` means. */
  defaultTimeoutSeconds: number;
  /** The router's default body limit, for showing what `null` means. */
  defaultMaxBodyBytes: number;
}

/** The router daemon as `minicloud router:status` shows it (GET /api/router). */
export interface RouterDaemonReport {
  pid: number;
  workers: number;
  workerPids: number[];
  startedAt: string;
  /** A hash of the code its workers run. */
  code: string;
  /** Whether minicloud is connected to it (it is: this answer came through minicloud). */
  controlPlane: boolean;
  port: number;
  httpsPort: number | null;
}

export const ROUTER_SETTINGS = ['timeout', 'https-only', 'max-body'] as const;
export const MAX_ROUTER_TIMEOUT_SECONDS = 3600;
/** The router's upstream idle timeout unless an app sets its own. */
export const DEFAULT_ROUTER_TIMEOUT_SECONDS = 30;
/**
 * The request body limit unless an app sets its own: 100 MiB. nginx's 1 MiB default breaks
 * ordinary uploads; Heroku sets none. This keeps uploads working while a client cannot make an
 * app read (and buffer) gigabytes it never asked for.
 */
export const DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024;
export const MAX_MAX_BODY_BYTES = 10 * 1024 ** 3;

const USAGE = 'e.g. `minicloud router:set <app> timeout 60` (1 to 3600 seconds, or default), `minicloud router:set <app> https-only true`, `minicloud router:set <app> max-body 50m` (1k to 10g, 0 for no limit, or default)';
const SIZE = /^(\d{1,12})(k|m|g)?b?$/;
const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** A body limit as typed (`50m`, `512k`, `1g`, plain bytes, `0`), in bytes; NaN when it is none of those. */
export function parseSize(raw: string): number {
  const m = SIZE.exec(raw);
  return m ? Number(m[1]) * UNITS[m[2] ?? '']! : NaN;
}

/** Bytes as the setting is typed: `50m`, `512k`, `1g`, or plain bytes when no unit divides them. */
export function formatSize(bytes: number): string {
  for (const unit of ['g', 'm', 'k'] as const) if (bytes >= UNITS[unit]! && bytes % UNITS[unit]! === 0) return `${bytes / UNITS[unit]!}${unit}`;
  return String(bytes);
}

/**
 * One setting from its name and value as typed (`timeout 60`, `https-only true`, `max-body 50m`): the change to
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
  if (name === 'max-body') {
    if (raw === 'default') return { maxBodyBytes: null };
    const n = raw === undefined ? NaN : parseSize(raw);
    if (!(n === 0 || (n >= 1024 && n <= MAX_MAX_BODY_BYTES))) {
      throw new UserError(`max-body must be a size from 1k to 10g (e.g. 50m), 0 for no limit, or default (got ${JSON.stringify(value ?? null)})`, USAGE);
    }
    return { maxBodyBytes: n };
  }
  throw new UserError(`${JSON.stringify(name ?? null)} is not a router setting; there are: ${ROUTER_SETTINGS.join(', ')}`, USAGE);
}
