// registry: the swarm registry minicloud runs itself on the manager (Debian's docker-registry, TLS with minicloud's
// CA, htpasswd auth), and its garbage collection.
export { OwnRegistry, type Collected, type OwnRegistryOptions } from './own-registry.ts';
export { OWN_REPOSITORY, OWN_TAG } from './registry-api.ts';
export { REGISTRY_USER } from './registry-files.ts';
