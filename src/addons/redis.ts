// Redis add-on: one ACL user per app on a shared server, limited to its own key and channel prefix.
import { Redis } from 'ioredis';
import { parseRedisUrl } from '../core/index.ts';
import { adminUrl, newPassword, unreachable, validateAddonName, withUser, type AdminUrl } from './common.ts';
import type { AddonProvider, Credentials } from './types.ts';

const WHAT = 'the shared Redis server';

export function redisProvider(env: NodeJS.ProcessEnv): AddonProvider {
  const admin = adminUrl(env, 'MINICLOUD_REDIS_ADDON_URL', WHAT, 'redis://default:<password>@127.0.0.1:6379', ['redis:', 'rediss:']);
  const withAdmin = <T>(fn: (r: Redis) => Promise<T>) => adminConnection(admin, fn);

  return {
    kind: 'redis',
    async restore(name, credentials) {
      validateAddonName(name, admin.user);
      const user = validateAddonName(credentials.user ?? name, admin.user);
      if (!credentials.password || !credentials.prefix) return false;
      return withAdmin(async (r) => {
        if ((await r.call('ACL', 'GETUSER', user)) !== null) return false;
        await setUser(r, user, credentials.password!, credentials.prefix!);
        return true;
      });
    },
    async create(name) {
      validateAddonName(name, admin.user);
      const password = newPassword();
      const prefix = `${name}:`;
      await withAdmin(async (r) => {
        // `reset` first makes a re-create replace the password and rules rather than add to them.
        // ~ limits keys and & limits pub/sub channels to the prefix (names are [a-z0-9_], no glob characters);
        // -@admin/-@dangerous take away CONFIG, FLUSHALL, KEYS, DEBUG, ACL and the like; INFO (also
        // @dangerous) is given back: ioredis's ready check and BullMQ need it, and it shows no keys or values.
        // SCAN stays allowed (clients use it with MATCH on their prefix), though it lists other apps' key names.
        // The ACL lives in the server's memory only: without an `aclfile` it is lost on a Redis restart,
        // so minicloud checks its users every minute and puts lost ones back (restore, below).
        await setUser(r, name, password, prefix);
      });
      // The admin URL's scheme, db number, host and port (or MINICLOUD_REDIS_ADDON_APP_HOST's), with the app's user.
      const url = withUser(admin.appUrl, name, password);
      return {
        env: { REDIS_URL: url, REDIS_KEY_PREFIX: prefix },
        credentials: { user: name, password, prefix, url },
      };
    },
    async destroy(name, credentials: Credentials) {
      validateAddonName(name, admin.user);
      const user = validateAddonName(credentials.user ?? name, admin.user);
      await withAdmin(async (r) => {
        // Redis 7 also disconnects the clients authenticated as the deleted user.
        await r.call('ACL', 'DELUSER', user);
        await clearPrefix(r, admin, `${name}:`);
      });
    },
    async usage(name) {
      return withAdmin(async (r) => {
        let keys = 0;
        let cursor = '0';
        do {
          const [next, found] = await r.scan(cursor, 'MATCH', `${name}:*`, 'COUNT', 1000);
          keys += found.length;
          cursor = next;
        } while (cursor !== '0');
        return `${keys} key${keys === 1 ? '' : 's'}`;
      });
    },
    async check() {
      await withAdmin((r) => r.ping());
    },
    async close() {},
  };
}

/** A connection per operation, failing fast instead of ioredis's default of retrying forever. */
async function adminConnection<T>(admin: AdminUrl, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({
    ...parseRedisUrl(admin.url.href), lazyConnect: true, connectTimeout: 5000,
    maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false,
  });
  // connect() only says "Connection is closed."; the reason (ECONNREFUSED, WRONGPASS) comes as an event.
  let cause: unknown = null;
  r.on('error', (e) => { cause ??= e; });
  try {
    await r.connect();
  } catch (e) {
    r.disconnect();
    throw unreachable(admin, WHAT, 6379, cause ?? e);
  }
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

const setUser = (r: Redis, name: string, password: string, prefix: string) =>
  r.call('ACL', 'SETUSER', name, 'reset', 'on', `>${password}`, `~${prefix}*`, `&${prefix}*`, '+@all', '-@admin', '-@dangerous', '+info');

/** Deletes an app's keys: the app may have SELECTed other logical databases, so its prefix in each of them. */
async function clearPrefix(r: Redis, admin: AdminUrl, prefix: string): Promise<void> {
  const dbs = await r.call('CONFIG', 'GET', 'databases')
    .then((v) => Number((v as string[])[1]) || 1, () => 1); // CONFIG may be renamed away: only the URL's db
  const first = parseRedisUrl(admin.url.href).db ?? 0;
  for (let i = 0; i < dbs; i++) {
    const db = dbs === 1 ? first : i;
    await r.select(db);
    // SCAN, not KEYS: it does not block the shared server for the length of the whole keyspace.
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await r.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
}
