// The REST API's shapes for backups off the box and disk use (core/api.ts holds the rest), shared by routes and CLI.

/** `GET|PUT /api/backups/target`: where backups are copied; the secret key never leaves the server. */
export interface BackupTargetInfo { url: string; endpoint: string; region: string; accessKeyId: string }

/** `PUT /api/backups/target`'s body. */
export interface BackupTargetRequest { url: string; endpoint: string; region?: string; accessKeyId: string; secretAccessKey: string }

/** One entry of `GET /api/apps/:app/backups/remote`: a backup in the bucket, as its manifest describes it. */
export interface RemoteBackupInfo {
  id: string; app: string; createdAt: string; status: string; size: number;
  parts: Array<{ name: string; kind: string; file: string; size: number; sha256: string }>;
  /** With `?verify=1`: null when every object read back matches its manifest, else which do not. */
  problem?: string | null;
}

/**
 * One app's line of `GET /api/disk`: bytes in use per part; `images`: its Docker images' unique size (layers no other
 * image shares, on the engine's disk, which may be another); `exists` false for a destroyed app's leftovers.
 */
export interface AppDiskInfo { app: string; exists: boolean; repo: number; builds: number; cache: number; volumes: number; backups: number; logs: number; images: number; total: number }

/** `GET /api/disk`: the data directory's file system, the floor builds and backups need, and what uses the space. */
export interface DiskUsageInfo {
  dataDir: string; total: number; free: number; needed: number; used: number;
  /** Whether the apps' `images` were counted (the Docker builder keeps images; host builds none). */
  imagesCounted: boolean;
  apps: AppDiskInfo[]; sources: number; other: number;
}

/** One thing `POST /api/prune` removed (or would, with dryRun). */
export interface PruneItemInfo { what: 'build' | 'cache' | 'source' | 'log' | 'volume' | 'git' | 'images' | 'registry'; app: string | null; path: string; bytes: number; why: string }

/** `POST /api/prune`'s answer; `dangling`: storage of destroyed apps or removed volumes, kept unless `volumes` was asked. */
export interface PruneReportInfo { dryRun: boolean; items: PruneItemInfo[]; freed: number; dangling: PruneItemInfo[]; free: number }

/** `POST /api/prune`'s body. */
export interface PruneRequest { dryRun?: boolean; volumes?: boolean; caches?: 'all' | 'stale' }
