// MariaDB parts: mysqldump --single-transaction with the app's user, row counts right after, a scratch
// restore to verify, and the restore into the app's database.
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

export async function myVerify(admin: Conn, file: string): Promise<Record<string, number>> {
  const scratch = `mc_verify_${randomBytes(6).toString('hex')}`;
  await mysql(admin, `CREATE DATABASE ${quoteMy(scratch)} CHARACTER SET utf8mb4`);
  try {
    await run(`loading the dump into ${scratch}`, 'mysql', [...myArgs(admin), scratch], { env: myEnv(admin), stdinFile: file });
    return await myCounts(admin, scratch);
  } finally {
    await mysql(admin, `DROP DATABASE IF EXISTS ${quoteMy(scratch)}`).catch(() => {});
  }
}

/** Replaces the app's database: dropped and recreated (admin; the app's grants are kept by name), then loaded as the app. */
export async function myRestore(admin: Conn, app: Conn, file: string): Promise<void> {
  await mysql(admin, `DROP DATABASE IF EXISTS ${quoteMy(app.database)}`);
  await mysql(admin, `CREATE DATABASE ${quoteMy(app.database)} CHARACTER SET utf8mb4`);
  await run(`loading the dump into ${app.database}`, 'mysql', [...myArgs(app), app.database], { env: myEnv(app), stdinFile: file });
}
