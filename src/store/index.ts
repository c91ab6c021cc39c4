// store: the one durable state file under the data directory.
export { Store, type StoredInstance } from './store.ts';
