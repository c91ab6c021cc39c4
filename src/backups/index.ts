// backups: verified dumps of an app's databases and archives of its storage, restores, and a schedule.
export { BackupsService, compareCounts, type BackupsDeps } from './service.ts';
export { BackupScheduler } from './scheduler.ts';
export { DEFAULT_KEEP, FREQUENCIES, isDue, parseFrequency, parseKeep, toPrune } from './policy.ts';
export { checkParts, manifestOf, sha256File, writeManifest, MANIFEST, type Manifest } from './manifest.ts';
export type { Backup, BackupFrequency, BackupPart, BackupSchedule, BackupStatus } from '../store/backups.ts';
export { stageServerArchive, sweepStaging, type ServerBackupDeps, type ServerMovesPaths } from './server-backup.ts';
export { applyRestore, discardPlan, exclusiveRestore, prepareRestore, refuseUnlessEmpty, type Redeploy, type ServerRestoreDeps } from './server-restore.ts';
export { DEFAULT_LIMITS, readServerArchive, type ReadLimits } from './server-archive.ts';
export { OffBox } from './offbox.ts';
export { RemoteBackups, type RemoteBackup } from './remote.ts';
export { TargetFile, parseTargetInput, parseTargetUrl, viewOf, type BackupTarget } from './target.ts';
