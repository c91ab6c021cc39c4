// The REST API's shapes for backups off the box and disk use (core/api.ts holds the rest), shared by routes and CLI.

/** `GET|PUT /api/backups/target`: where backups are copied; the secret key never leaves the server. */
export interface BackupTargetInfo { url: string; endpoint: string; region: string; accessKeyId: string }

/** `PUT /api/backups/target`'s body. */
export interface BackupTargetRequest { url: string; endpoint: string; region?: string; accessKeyId: string; secretAccessKey: string }

/** One entry of `GET /api/apps/:app/backups/remote`: a backup in the bucket, as its manifest describes it. */
export interface RemoteBackupInfo {
  id: string; app: string; createdAt: string; status: string; size: number;
  parts: Array<{ name: string; kind: string; file: string; size: number; sha256: string }>;
}
