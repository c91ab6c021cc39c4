// store: the one durable state file under the data directory.
export { Store, type StoredInstance, type GithubLink } from './store.ts';
