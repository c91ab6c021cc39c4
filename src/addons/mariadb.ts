// MariaDB/MySQL add-on: one database and one user per app on a shared server, through `mysql2`.
import type { Connection } from 'mysql2/promise';
import { adminUrl, megabytes, newPassword, unreachable, validateAddonName, withUser } from './common.ts';
import type { AddonProvider, Credentials } from './types.ts';

const WHAT = 'the shared MariaDB server';
// '%' for TCP from anywhere; 'localhost' too, since an anonymous ''@'localhost' account would otherwise
// take precedence for local connections (MariaDB picks the most specific host first).
const HOSTS = ['%', 'localhost'];

export function mariadbProvider(env: NodeJS.ProcessEnv): AddonProvider {
  const admin = adminUrl(env, 'MINICLOUD_MARIADB_URL', WHAT, 'mysql://root:<password>@127.0.0.1:3306', ['mysql:', 'mariadb:']);
  const { url } = admin;

  // A connection per operation: provisioning is rare, and no idle connection can break or hold the process open.
  // `mysql2` is loaded at the first one, not at minicloud's start (most servers never provision a database).
  async function withAdmin<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    const { default: mysql } = await import('mysql2/promise');
    let c: Connection;
    try {
      c = await mysql.createConnection({
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 3306),
        user: decodeURIComponent(url.username), password: decodeURIComponent(url.password),
        connectTimeout: 5000, multipleStatements: false,
      });
    } catch (e) {
      throw unreachable(admin, WHAT, 3306, e);
    }
    try {
      return await fn(c);
    } finally {
      await c.end().catch(() => {});
    }
  }

  return {
    kind: 'mariadb',
    // `query` (not `execute`) formats client-side: `??` becomes a backquoted identifier, `?` a quoted string.
    async create(name) {
      validateAddonName(name, admin.user);
      const password = newPassword();
      await withAdmin(async (c) => {
        await c.query('CREATE DATABASE IF NOT EXISTS ?? CHARACTER SET utf8mb4', [name]);
        for (const host of HOSTS) {
          await c.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [name, host, password]);
          await c.query('ALTER USER ?@? IDENTIFIED BY ?', [name, host, password]); // re-create: new password
          // In a database-level GRANT, `_` and `%` are LIKE wildcards: unescaped, app_a_b's grant would
          // also cover a database named app_aXb, i.e. possibly another app's.
          await c.query('GRANT ALL PRIVILEGES ON ??.* TO ?@?', [name.replace(/_/g, '\\_'), name, host]);
        }
      });
      const dbUrl = withUser(admin.appUrl, name, password, `/${name}`).replace(/^mariadb:/, 'mysql:');
      return {
        env: { DATABASE_URL: dbUrl, MARIADB_URL: dbUrl, MYSQL_URL: dbUrl },
        credentials: { user: name, password, database: name, url: dbUrl },
      };
    },
    async destroy(name, credentials: Credentials) {
      validateAddonName(name, admin.user);
      const user = validateAddonName(credentials.user ?? name, admin.user);
      await withAdmin(async (c) => {
        // DROP USER leaves the user's open sessions running; end them so the app really loses access.
        const [rows] = await c.query('SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?', [user]);
        for (const { ID } of rows as { ID: number }[]) await c.query('KILL CONNECTION ?', [ID]).catch(() => {});
        for (const host of HOSTS) await c.query('DROP USER IF EXISTS ?@?', [user, host]);
        await c.query('DROP DATABASE IF EXISTS ??', [name]);
      });
    },
    async exists(name) {
      return withAdmin(async (c) => {
        const [rows] = await c.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ? UNION ALL SELECT 1 FROM mysql.user WHERE User = ?', [name, name]);
        return (rows as unknown[]).length > 0;
      });
    },
    async usage(name) {
      return withAdmin(async (c) => {
        const [rows] = await c.query('SELECT COUNT(*) AS tables, COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [name]);
        const { tables, n } = (rows as Array<{ tables: number; n: string | number }>)[0]!;
        return `${megabytes(Number(n))} in ${tables} table${Number(tables) === 1 ? '' : 's'}`;
      });
    },
    async check() {
      await withAdmin((c) => c.query('SELECT 1'));
    },
    async close() {},
  };
}
