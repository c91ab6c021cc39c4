// The providers by kind, and a kind as a request names it.
import { UserError } from '../core/index.ts';
import { mariadbProvider } from './mariadb.ts';
import { postgresProvider } from './postgres.ts';
import { rabbitmqProvider } from './rabbitmq.ts';
import { redisProvider } from './redis.ts';
import type { AddonKind, AddonProvider } from './types.ts';

const PROVIDERS: Record<AddonKind, (env: NodeJS.ProcessEnv) => AddonProvider> = {
  mariadb: mariadbProvider,
  postgres: postgresProvider,
  rabbitmq: rabbitmqProvider,
  redis: redisProvider,
};

export const ADDON_KINDS = Object.keys(PROVIDERS) as AddonKind[];

export function isAddonKind(kind: unknown): kind is AddonKind {
  return typeof kind === 'string' && Object.hasOwn(PROVIDERS, kind);
}

/** A kind as a request names it: one of ADDON_KINDS, else a UserError listing them. */
export function parseAddonKind(kind: unknown): AddonKind {
  if (!isAddonKind(kind)) throw new UserError(`unknown add-on kind ${JSON.stringify(kind)}`, `use one of: ${ADDON_KINDS.join(', ')}`);
  return kind;
}

/** The provider for one kind, configured from `env`; throws a UserError naming a missing or malformed variable. */
export function providerFor(kind: AddonKind, env: NodeJS.ProcessEnv): AddonProvider {
  if (!isAddonKind(kind)) {
    throw new UserError(`unknown add-on kind ${JSON.stringify(kind)}`, `use one of: ${ADDON_KINDS.join(', ')}`);
  }
  return PROVIDERS[kind](env);
}
