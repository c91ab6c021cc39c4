// store: the one durable state file under the data directory.
export { Store, type Volume, type StoredAddon, type StoredInstance, type GithubLink, type StoredJob } from './store.ts';
export { SessionsTable, type StoredSession, type ListedSession } from './sessions.ts';
export { TokensTable, type StoredToken } from './tokens.ts';
export { AuditTable, type AuditEntry } from './audit.ts';
export { UsersTable, type StoredUser } from './users.ts';
export { SCHEMA_VERSION } from './db.ts';
export { hasTable, insertRows, readRows, updateRow } from './copy-rows.ts';
export type { AlertChannel, AlertChannelKind, AlertFormat } from './alert-channels.ts';
export type { AlertIncident, AlertKind } from './alert-incidents.ts';
export type { AlertHistoryEntry, AlertState, AlertDelivery } from './alert-history.ts';
export type { Preview, PreviewSettings } from './previews.ts';
export type { StoredPoint } from './metric-points.ts';
