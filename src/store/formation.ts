// The formation: how many instances of each process type an app wants.
import type { Db } from './db.ts';

/** A row of `formation`. */
export interface FormationRow { app: string; type: string; quantity: number }

export class FormationTable {
  constructor(private readonly db: Db) {}

  get(app: string): Record<string, number> {
    const rows = this.db.prepare<[string], FormationRow>('SELECT * FROM formation WHERE app = ? ORDER BY type').all(app);
    return Object.fromEntries(rows.map((r) => [r.type, r.quantity]));
  }

  /** Sets the quantities `changes` names; returns the whole formation. */
  set(app: string, changes: Record<string, number>): Record<string, number> {
    const set = this.db.prepare('INSERT INTO formation (app, type, quantity) VALUES (?, ?, ?) ON CONFLICT (app, type) DO UPDATE SET quantity = excluded.quantity');
    this.db.transaction(() => { for (const [type, n] of Object.entries(changes)) set.run(app, type, n); })();
    return this.get(app);
  }
}
