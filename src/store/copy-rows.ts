// Copying rows of one table from another minicloud database (a restored archive's) into this one, column by column.
import type { Db } from './db.ts';

/** A row of any of those tables, column by column: a restore copies what both schemas have. */
export type Row = Record<string, unknown>;

const TABLES = new Set(['apps', 'config_vars', 'releases', 'deploys', 'deploy_logs', 'formation', 'github_links', 'domains', 'volumes',
  'backup_schedules', 'backups', 'tokens', 'users', 'audit', 'webhook_deliveries', 'addons', 'alert_channels', 'preview_settings', 'previews']);

const columns = (db: Db, table: string) => db.prepare<[], { name: string }>(`PRAGMA table_info(${table})`).all().map((c) => c.name);

/** Whether `from` has `table` (an archive of an older schema may lack one). */
export function hasTable(from: Db, table: string): boolean {
  return from.prepare<[string], { type: string }>("SELECT type FROM sqlite_master WHERE name = ?").get(table)?.type === 'table';
}

/** The rows of `table` in `from` matching `where`; refused unless it is a real table there (not a view an archive made up). */
export function readRows(from: Db, table: string, where = '1', params: unknown[] = []): Row[] {
  if (!TABLES.has(table)) throw new Error(`${table} is not a table a restore reads`);
  const kind = from.prepare<[string], { type: string }>("SELECT type FROM sqlite_master WHERE name = ?").get(table);
  if (kind?.type !== 'table') throw new Error(`the archived database has no table ${table}`);
  return from.prepare<unknown[], Row>(`SELECT * FROM ${table} WHERE ${where}`).all(...params);
}

/** Inserts `rows` into `table` of `to`, the columns both sides have; `OR IGNORE` skips rows whose key is taken. */
export function insertRows(to: Db, table: string, rows: Row[], mode: 'insert' | 'ignore' = 'insert'): number {
  if (!TABLES.has(table) || rows.length === 0) return 0;
  const mine = new Set(columns(to, table));
  const cols = Object.keys(rows[0]!).filter((c) => mine.has(c));
  const stmt = to.prepare(`INSERT ${mode === 'ignore' ? 'OR IGNORE ' : ''}INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
  let n = 0;
  to.transaction(() => { for (const r of rows) n += stmt.run(...cols.map((c) => r[c] ?? null)).changes; })();
  return n;
}

/** Sets the columns of `row` that `table` has on the row whose `key` is `value`. */
export function updateRow(to: Db, table: string, key: string, value: unknown, row: Row): void {
  if (!TABLES.has(table)) return;
  const mine = new Set(columns(to, table));
  const cols = Object.keys(row).filter((c) => mine.has(c) && c !== key);
  if (!cols.length || !mine.has(key)) return;
  to.prepare(`UPDATE ${table} SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE ${key} = ?`).run(...cols.map((c) => row[c] ?? null), value);
}
