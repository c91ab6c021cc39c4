// store: the one durable state file under the data directory.
export { Store, type Volume, type StoredAddon, type StoredInstance, type GithubLink } from './store.ts';
export { SessionsTable, type StoredSession } from './sessions.ts';
