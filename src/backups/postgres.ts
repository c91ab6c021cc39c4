// PostgreSQL parts: pg_dump -Fc under an exported snapshot whose row counts are taken in the same transaction,
// a scratch restore to verify it (as the app's own role), and the restore into the app's database.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { baseEnv } from '../core/index.ts';
import { type Conn, pgArgs, pgEnv, quotePg } from './conn.ts';
import { exec, lastWords, run } from './exec.ts';

/** One line per table, `schema.table|rows`, every count in the query's own snapshot. */
const COUNTS = `SELECT n.nspname || '.' || c.relname || '|' ||
  (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
  ORDER BY 1`;

export function parseCounts(out: string): Record<string, number> {
  const rows: Record<string, number> = {};
  for (const line of out.split('\n')) {
    const i = line.lastIndexOf('|');
    if (i > 0) rows[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return rows;
}

const psql = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1'];

export async function pgCounts(c: Conn, database = c.database): Promise<Record<string, number>> {
  return parseCounts((await run('counting rows', 'psql', [...psql, ...pgArgs(c, database), '-c', COUNTS], { env: pgEnv(c) })).stdout);
}

/**
 * Dumps `app`'s database to `file` (custom format) and returns its row counts, both from one snapshot: a
 * psql session exports it (REPEATABLE READ), counts in it, and stays open while pg_dump --snapshot reads it.
 */
export async function pgDump(app: Conn, file: string): Promise<Record<string, number>> {
  const child = spawn('psql', [...psql, ...pgArgs(app)], { env: baseEnv(pgEnv(app)), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const marker = '__minicloud_snapshot_ready__';
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  child.on('error', () => {});
  child.stdin.on('error', () => {});
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; if (out.includes(marker)) resolve(); });
    void exited.then((code) => reject(new Error(`reading the database failed (psql exited ${code}): ${lastWords(err)}`)));
  });
  child.stdin.write(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSELECT pg_export_snapshot();\n${COUNTS};\n\\echo ${marker}\n`);
  try {
    await ready;
    const [snapshot, ...lines] = out.slice(0, out.indexOf(marker)).split('\n').filter(Boolean);
    if (!snapshot) throw new Error('PostgreSQL exported no snapshot');
    await run('pg_dump', 'pg_dump', ['-Fc', '--no-owner', '--no-privileges', `--snapshot=${snapshot.trim()}`, ...pgArgs(app)], { env: pgEnv(app), stdoutFile: file });
    return parseCounts(lines.join('\n'));
  } finally {
    child.stdin.end('COMMIT;\n\\q\n');
    await exited;
  }
}

const adminSql = (admin: Conn, sql: string) => run('the admin connection', 'psql', [...psql, ...pgArgs(admin), '-c', sql], { env: pgEnv(admin) });

/**
 * Restores the dump into a new scratch database, counts its rows, drops it. The scratch database is the
 * app role's and the restore runs with its credentials: the dump is the app's own code (functions, CHECK
 * constraints calling them), and as the admin it would run with superuser rights.
 */
export async function pgVerify(admin: Conn, app: Conn, file: string): Promise<Record<string, number>> {
  const scratch = `mc_verify_${randomBytes(6).toString('hex')}`;
  await adminSql(admin, `CREATE DATABASE ${quotePg(scratch)} OWNER ${quotePg(app.user)}`);
  try {
    await adminSql(admin, `REVOKE ALL ON DATABASE ${quotePg(scratch)} FROM PUBLIC`);
    const r = await exec('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', ...pgArgs(app, scratch), file], { env: pgEnv(app) });
    if (r.code !== 0) throw new Error(`pg_restore into ${scratch} failed: ${lastWords(r.stderr)}`);
    return await pgCounts(app, scratch);
  } finally {
    await adminSql(admin, `DROP DATABASE IF EXISTS ${quotePg(scratch)} WITH (FORCE)`).catch(() => {});
  }
}

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Every add-on role must stay an ordinary one. A role that gained superuser, role-making, replication or
 * RLS-bypass rights (whatever ran while it restored) loses them here, and the caller fails, saying so.
 */
export async function pgCheckRoles(admin: Conn, roles: string[]): Promise<void> {
  if (!roles.length) return;
  const out = (await adminSql(admin, `SELECT rolname FROM pg_roles WHERE (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls) AND rolname IN (${roles.map(literal).join(', ')})`)).stdout;
  const raised = out.split('\n').map((l) => l.trim()).filter(Boolean);
  for (const role of raised) await adminSql(admin, `ALTER ROLE ${quotePg(role)} NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS`);
  if (raised.length) throw new Error(`add-on role(s) ${raised.join(', ')} had gained admin rights; minicloud took them back`);
}

/** Replaces the app's database with the dump: dropped and recreated (admin), then restored as the app's user. */
export async function pgRestore(admin: Conn, app: Conn, file: string): Promise<void> {
  const db = quotePg(app.database);
  await adminSql(admin, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await adminSql(admin, `CREATE DATABASE ${db} OWNER ${quotePg(app.user)}`);
  await adminSql(admin, `REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
  const r = await exec('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', ...pgArgs(app), file], { env: pgEnv(app) });
  if (r.code !== 0) throw new Error(`pg_restore into ${app.database} failed: ${lastWords(r.stderr)}`);
}
