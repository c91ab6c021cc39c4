// The tables of who may do what and what they did (api/access): tokens, people, the audit log.
export { TokensTable } from './tokens.ts';
export { UsersTable } from './users.ts';
export { AuditLog } from './audit.ts';
