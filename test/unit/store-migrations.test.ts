// store migrations: named, in order, and an upgraded state file ends at the same schema as a fresh one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION, openDb, type Db } from '../../src/store/db.ts';

const tmp = mkdtempSync(join(tmpdir(), 'mc-migrations-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every table, index and column, as SQLite reports them. */
function schema(db: Db): unknown {
  const objects = db.prepare<[], { type: string; name: string; tbl_name: string }>(
    "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all();
  return objects.map((o) => ({
    ...o,
    columns: o.type === 'table' ? db.prepare(`PRAGMA table_info(${o.name})`).all() : undefined,
    indexed: o.type === 'index' ? db.prepare(`PRAGMA index_info(${o.name})`).all() : undefined,
  }));
}

describe('migrations', () => {
  it('each has a unique name that starts with the schema version it leads to', () => {
    const names = MIGRATIONS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    names.forEach((name, i) => expect(name).toMatch(new RegExp(`^${String(i + 1).padStart(4, '0')}-[a-z0-9]+(-[a-z0-9]+)*$`)));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('a fresh database and one upgraded from the first migration end at the same schema and version', () => {
    const fresh = openDb(join(tmp, 'fresh', 'state.db'));
    const oldFile = join(tmp, 'old', 'state.db');
    openDb(oldFile, 1).close();
    const upgraded = openDb(oldFile);
    try {
      for (const db of [fresh, upgraded]) expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(schema(upgraded)).toEqual(schema(fresh));
    } finally {
      fresh.close();
      upgraded.close();
    }
  });

  it('upgrades one migration at a time to the same schema (each step records its version)', () => {
    const file = join(tmp, 'stepwise', 'state.db');
    for (let v = 1; v <= SCHEMA_VERSION; v++) {
      const db = openDb(file, v);
      expect(db.pragma('user_version', { simple: true })).toBe(v);
      db.close();
    }
    const stepped = openDb(file);
    const fresh = openDb(join(tmp, 'fresh2', 'state.db'));
    try {
      expect(schema(stepped)).toEqual(schema(fresh));
    } finally {
      stepped.close();
      fresh.close();
    }
  });
});
