// Pure rules: when a schedule is due, and which backups pruning removes.
import { UserError } from '../core/index.ts';
import type { Backup, BackupFrequency } from '../store/backups.ts';

export const FREQUENCIES: Record<BackupFrequency, number> = {
  hourly: 60 * 60_000,
  daily: 24 * 60 * 60_000,
  weekly: 7 * 24 * 60 * 60_000,
};
export const DEFAULT_KEEP = 7;

export function parseFrequency(v: unknown): BackupFrequency | 'off' {
  if (v === 'off' || (typeof v === 'string' && Object.hasOwn(FREQUENCIES, v))) return v as BackupFrequency | 'off';
  throw new UserError(`unknown backup schedule ${JSON.stringify(v)}`, 'use one of: hourly, daily, weekly, off');
}

export function parseKeep(v: unknown): number {
  if (v === undefined || v === null || v === '') return DEFAULT_KEEP;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UserError(`--keep must be a whole number from 1 to 1000, not ${JSON.stringify(v)}`);
  return n;
}

/** Due when it never ran, or its interval has passed since the last run. */
export function isDue(s: { frequency: BackupFrequency; lastRunAt: string | null }, now: number): boolean {
  if (!s.lastRunAt) return true;
  const last = Date.parse(s.lastRunAt);
  return !Number.isFinite(last) || now - last >= FREQUENCIES[s.frequency];
}

/**
 * The backups to delete: good ones beyond the newest `keep` good ones, and failed or unverified ones beyond the
 * newest `keep` of those. Never the newest good backup, never one still running.
 */
export function toPrune(backups: Pick<Backup, 'id' | 'status' | 'createdAt'>[], keep: number): string[] {
  const k = Math.max(1, keep);
  const newestFirst = [...backups].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const good = newestFirst.filter((b) => b.status === 'good');
  const other = newestFirst.filter((b) => b.status === 'failed' || b.status === 'unverified');
  return [...good.slice(k), ...other.slice(k)].map((b) => b.id);
}
