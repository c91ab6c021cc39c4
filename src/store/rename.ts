// apps:rename in the state file: every row naming the app moves to the new name in one transaction (foreign keys
// checked at its end), and so do the token and people lists naming it. The audit log keeps the name it was given.
import type { Db } from './db.ts';
import { fromJson } from './json.ts';

/** Tables whose `app` column is history, not a reference: what happened under the old name stays said so. */
const HISTORY = new Set(['audit']);

export function renameAppRows(db: Db, from: string, to: string, paths: { from: string; to: string }[]): void {
  db.transaction(() => {
    db.pragma('defer_foreign_keys = ON');
    db.prepare('UPDATE apps SET name = ? WHERE name = ?').run(to, from);
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all();
    for (const { name } of tables) {
      if (HISTORY.has(name)) continue;
      const cols = db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${name}')`).all().map((c) => c.name);
      if (cols.includes('app')) db.prepare(`UPDATE "${name}" SET app = ? WHERE app = ?`).run(to, from);
    }
    db.prepare('UPDATE previews SET parent = ? WHERE parent = ?').run(to, from);
    for (const table of ['tokens', 'users']) {
      const key = table === 'tokens' ? 'id' : 'email';
      const rows = db.prepare<[], { k: string; apps: string }>(`SELECT ${key} AS k, apps FROM ${table} WHERE apps IS NOT NULL`).all();
      for (const r of rows) {
        const apps = fromJson<string[]>(r.apps);
        if (apps.includes(from)) db.prepare(`UPDATE ${table} SET apps = ? WHERE ${key} = ?`).run(JSON.stringify(apps.map((a) => (a === from ? to : a))), r.k);
      }
    }
    // Releases name their artifact: a build directory under the app's, or its image minicloud/<app>:vN.
    for (const p of paths) db.prepare('UPDATE releases SET artifact = replace(artifact, ?, ?) WHERE app = ?').run(p.from, p.to, to);
  })();
}
