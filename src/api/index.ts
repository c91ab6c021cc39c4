// api: the HTTP edge for people and tools: REST API, git, and the hook's endpoints.
export { createApi, closeApi, type ApiOptions } from './server.ts';
export type { RouteDeps, ServerMovesDeps } from './route-deps.ts';
export { BOOT_TOKEN, MIN_TOKEN_LENGTH, adminToken, hashToken, hookToken, newTokenSecret, tokenChecker, writeHookConfig } from './access/index.ts';
