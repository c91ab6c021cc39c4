// addons: per-app users, databases and vhosts on shared MariaDB, PostgreSQL, RabbitMQ and Redis servers; attaching them to apps.
export type { AddonKind, AddonProvider, Credentials, Provisioned } from './types.ts';
export { loopbackWarnings, validateAddonName } from './common.ts';
export { ADDON_KINDS, isAddonKind, parseAddonKind, providerFor } from './providers.ts';
export { AddonsService, addonName, type AddonsDeps } from './service.ts';
