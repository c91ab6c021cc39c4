// Shapes of the REST API's bodies, shared by the API and its clients (CLI, dashboard).
import type { App, Deploy, Instance, LogLine, Release } from './types.ts';

export interface ApiError {
  error: string;
  hint?: string;
}

export interface AppInfo extends App {
  url: string;
  gitUrl: string;
}

export interface ReleaseSummary extends Omit<Release, 'config' | 'artifact'> {
  buildpack: string;
  current: boolean;
}

export type { App, Deploy, Instance, LogLine };

/** Events of a followed log stream (NDJSON, one per line). */
export type LogEvent =
  | { type: 'line'; seq: number; time: string; text: string }
  | { type: 'end'; status: 'succeeded' | 'failed'; release: number | null; url: string | null; error: string | null };

/** Events of a one-off command's output stream (`minicloud run`), NDJSON. */
export type RunEvent =
  | { type: 'line'; seq: number; time: string; text: string }
  | { type: 'exit'; code: number };

/** Instances wanted per process type, e.g. { web: 3, worker: 1 }. */
export type Formation = Record<string, number>;

/** Restarts in a row (without 10 min up in between) from which an instance counts as crash-looping. */
export const CRASH_LOOP_RESTARTS = 3;

/** A backing service attached to an app (its credentials never leave the server). */
export interface AddonInfo {
  app: string;
  kind: 'mariadb' | 'postgres' | 'rabbitmq' | 'redis';
  /** The database / vhost / user name on the shared server. */
  name: string;
  /** Config vars it set on the app. */
  envKeys: string[];
  createdAt: string;
}

/** One minute of an app, as `GET /api/apps/:app/metrics` answers it (`{ minutes: MinutePoint[] }`). */
export interface MinutePoint {
  /** The minute's start, ISO 8601. */
  t: string;
  requests: number;
  /** Responses with a 5xx status. */
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
  /** Mean CPU use of the app's instances over the minute's samples (100 = one core); null without samples. */
  cpuPercent: number | null;
  /** Resident memory of the app's instances at the minute's last sample; null without samples. */
  memoryMb: number | null;
}
