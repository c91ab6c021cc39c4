// MariaDB parts: mysqldump --single-transaction with the app's user, row counts right after, a scratch
// restore to verify (as the app's own user), and the restore into the app's database.
import { randomBytes } from 'node:crypto';
import { type Conn, myArgs, myEnv, quoteMy } from './conn.ts';
import { run } from './exec.ts';

const mysql = (c: Conn, sql: string, database?: string) =>
  run('the MariaDB query', 'mysql', [...myArgs(c), '-N', '-B', '-e', sql, ...(database ? [database] : [])], { env: myEnv(c) });

export async function myCounts(c: Conn, database: string): Promise<Record<string, number>> {
  const tables = (await mysql(c, "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY 1", database))
    .stdout.split('\n').filter(Boolean);
  if (tables.length === 0) return {};
  const sql = tables.map((t) => `SELECT ${JSON.stringify(t)}, COUNT(*) FROM ${quoteMy(t)}`).join(' UNION ALL ');
  const rows: Record<string, number> = {};
  for (const line of (await mysql(c, sql, database)).stdout.split('\n').filter(Boolean)) {
    const i = line.lastIndexOf('\t');
    rows[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return rows;
}

/** Dumps the app's database to `file` (plain SQL) in one consistent transaction; returns its row counts. */
export async function myDump(app: Conn, file: string): Promise<Record<string, number>> {
  await run('mysqldump', 'mysqldump', [...myArgs(app), '--single-transaction', '--no-tablespaces', '--skip-lock-tables', app.database], { env: myEnv(app), stdoutFile: file });
  return myCounts(app, app.database);
}

const literal = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/** The app user's accounts (`user`@`host`), as GRANT and REVOKE name them. */
async function accounts(admin: Conn, user: string): Promise<string[]> {
  const hosts = (await mysql(admin, `SELECT host FROM mysql.user WHERE user = ${literal(user)}`)).stdout.split('\n').filter(Boolean);
  return hosts.map((h) => `${literal(user)}@${literal(h)}`);
}

/**
 * Loads the dump into a scratch database as the app's own user (granted that database alone, for the
 * while): the dump is the app's code (triggers, procedures), which as root would run with root's rights.
 */
export async function myVerify(admin: Conn, app: Conn, file: string): Promise<Record<string, number>> {
  const scratch = `mc_verify_${randomBytes(6).toString('hex')}`;
  const grantee = (await accounts(admin, app.user)).join(', ');
  if (!grantee) throw new Error(`the add-on user ${app.user} is missing on the server`);
  const on = `${quoteMy(scratch.replace(/_/g, '\\_'))}.*`; // `_` is a wildcard in a database-level grant
  await mysql(admin, `CREATE DATABASE ${quoteMy(scratch)} CHARACTER SET utf8mb4`);
  try {
    await mysql(admin, `GRANT ALL PRIVILEGES ON ${on} TO ${grantee}`);
    await run(`loading the dump into ${scratch}`, 'mysql', [...myArgs(app), scratch], { env: myEnv(app), stdinFile: file });
    return await myCounts(app, scratch);
  } finally {
    await mysql(admin, `DROP DATABASE IF EXISTS ${quoteMy(scratch)}`).catch(() => {});
    await mysql(admin, `REVOKE ALL PRIVILEGES ON ${on} FROM ${grantee}`).catch(() => {});
  }
}

/** Every add-on user must hold no server-wide privilege; one that does loses them, and the caller fails, saying so. */
export async function myCheckUsers(admin: Conn, users: string[]): Promise<void> {
  const raised: string[] = [];
  for (const user of users) {
    for (const account of await accounts(admin, user)) {
      const grants = (await mysql(admin, `SHOW GRANTS FOR ${account}`)).stdout.split('\n');
      if (!grants.some((g) => / ON \*\.\* /.test(g) && !/^GRANT USAGE ON/.test(g))) continue;
      await mysql(admin, `REVOKE ALL PRIVILEGES ON *.* FROM ${account}`);
      await mysql(admin, `REVOKE GRANT OPTION ON *.* FROM ${account}`).catch(() => {}); // had none
      raised.push(account);
    }
  }
  if (raised.length) throw new Error(`add-on user(s) ${raised.join(', ')} had gained server-wide privileges; minicloud took them back`);
}

/** Replaces the app's database: dropped and recreated (admin; the app's grants are kept by name), then loaded as the app. */
export async function myRestore(admin: Conn, app: Conn, file: string): Promise<void> {
  await mysql(admin, `DROP DATABASE IF EXISTS ${quoteMy(app.database)}`);
  await mysql(admin, `CREATE DATABASE ${quoteMy(app.database)} CHARACTER SET utf8mb4`);
  await run(`loading the dump into ${app.database}`, 'mysql', [...myArgs(app), app.database], { env: myEnv(app), stdinFile: file });
}
