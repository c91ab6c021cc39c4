// api: the HTTP edge for people and tools: REST API, git, and the hook's endpoints.
export { createApi, closeApi, type ApiOptions } from './server.ts';
export { hashToken, tokenChecker } from './auth.ts';
export { adminToken, hookToken, writeHookConfig } from './tokens.ts';
export { BOOT_TOKEN, MIN_TOKEN_LENGTH, newTokenSecret } from './access/index.ts';
