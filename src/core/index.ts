// core: types, errors and name validation shared by every part; imports nothing.
export * from './errors.ts';
export * from './names.ts';
export * from './config-vars.ts';
export * from './types.ts';
export * from './api.ts';
export * from './env.ts';
export * from './redis-url.ts';
export * from './run-command.ts';
export * from './domains.ts';
export * from './tail-file.ts';
export * from './bounded-log.ts';
export * from './line-splitter.ts';
export { validateImageRef } from './image-ref.ts';
export * from './router-settings.ts';
export * from './app-users.ts';
export { ROUTER_PROOF } from './router-proof.ts';
export * from './firewall.ts';
export * from './process-start.ts';
