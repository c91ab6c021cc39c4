// store: the one durable state file under the data directory.
export { Store, type StoredAddon, type StoredInstance, type GithubLink } from './store.ts';
