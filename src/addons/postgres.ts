// PostgreSQL add-on: one role and one database per app on a shared server, through `pg`.
import type { Client } from 'pg';
import { UserError } from '../core/index.ts';
import { adminUrl, megabytes, newPassword, unreachable, validateAddonName, withUser, type AdminUrl } from './common.ts';
import type { AddonProvider, Credentials, Provisioned } from './types.ts';

const WHAT = 'the shared PostgreSQL server';

export function postgresProvider(env: NodeJS.ProcessEnv): AddonProvider {
  const admin = adminUrl(env, 'MINICLOUD_POSTGRES_URL', WHAT, 'postgres://postgres:<password>@127.0.0.1:5432/postgres', ['postgres:', 'postgresql:']);

  // A connection per operation: provisioning is rare, and no idle connection can break or hold the process open.
  // `pg` is loaded at the first one, not at minicloud's start (most servers never provision a database).
  async function withAdmin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: admin.url.href, connectionTimeoutMillis: 5000 });
    c.on('error', () => {}); // a server-side disconnect surfaces through the running query instead
    try {
      await c.connect();
    } catch (e) {
      throw unreachable(admin, WHAT, 5432, e);
    }
    try {
      return await fn(c);
    } finally {
      await c.end().catch(() => {});
    }
  }

  return {
    kind: 'postgres',
    async create(name) {
      validateAddonName(name, admin.user);
      const password = newPassword();
      await withAdmin(async (c) => {
        const id = c.escapeIdentifier(name);
        // Utility statements take no parameters, hence escapeLiteral (the password is base64url anyway).
        const login = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${c.escapeLiteral(password)}`;
        const role = await c.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [name]);
        if (role.rows[0]?.rolsuper) throw new UserError(`${name} is a superuser role; pick another add-on name`);
        if (role.rowCount) await c.query(`ALTER ROLE ${id} WITH ${login}`);
        else await ignoring('42710', () => c.query(`CREATE ROLE ${id} WITH ${login}`)); // 42710: created meanwhile
        const db = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        // CREATE DATABASE has no IF NOT EXISTS; 42P04: a concurrent create won the race.
        if (!db.rowCount) await ignoring('42P04', () => c.query(`CREATE DATABASE ${id} OWNER ${id}`));
        // New databases grant CONNECT to PUBLIC, i.e. to every other app's role; only the owner keeps it.
        // This holds even under trust authentication, where passwords are not checked.
        await c.query(`REVOKE ALL ON DATABASE ${id} FROM PUBLIC`);
      });
      return provisioned(admin, name, password);
    },
    async destroy(name, credentials: Credentials) {
      validateAddonName(name, admin.user);
      const user = validateAddonName(credentials.user ?? name, admin.user);
      await withAdmin(async (c) => {
        // FORCE (PostgreSQL 13+) ends the app's open sessions instead of failing on them.
        await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${c.escapeIdentifier(user)}`);
      });
    },
    async exists(name) {
      return withAdmin(async (c) => (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1 UNION ALL SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount! > 0);
    },
    async usage(name) {
      const r = await withAdmin((c) => c.query<{ n: string | null }>('SELECT pg_database_size(datname)::text AS n FROM pg_database WHERE datname = $1', [name]));
      return r.rows[0]?.n ? megabytes(Number(r.rows[0].n)) : 'no database (dropped on the server?)';
    },
    async check() {
      await withAdmin((c) => c.query('SELECT 1'));
    },
    async close() {},
  };
}

function provisioned(admin: AdminUrl, name: string, password: string): Provisioned {
  const url = withUser(admin.appUrl, name, password, `/${name}`);
  return {
    env: { DATABASE_URL: url, POSTGRES_URL: url },
    credentials: { user: name, password, database: name, url },
  };
}

async function ignoring(code: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if ((e as { code?: string }).code !== code) throw e;
  }
}
