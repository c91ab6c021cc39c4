// Instances: the processes and containers minicloud started, as last seen, so a restart of minicloud finds them again.
import type { Instance, InstanceExit } from '../core/index.ts';
import type { Db } from './db.ts';

/** An instance and the runtime's handle on it (a pid and start time, or a container id). */
export interface StoredInstance extends Instance { handle: string | null }

/** A row of `instances`: the stored instance, its two times in the table's column names. */
export type InstanceRow = Omit<StoredInstance, 'startedAt' | 'nextRestartAt' | 'lastExit'> & { started_at: string; next_restart_at: string | null; last_exit: string | null };

const toInstance = (r: InstanceRow): StoredInstance => ({
  id: r.id, app: r.app, release: r.release, type: r.type, host: r.host, port: r.port, pid: r.pid, handle: r.handle,
  state: r.state, startedAt: r.started_at, restarts: r.restarts, nextRestartAt: r.next_restart_at,
  lastExit: r.last_exit ? (JSON.parse(r.last_exit) as InstanceExit) : null, num: r.num ?? null,
});

export class InstancesTable {
  constructor(private readonly db: Db) {}

  save(i: StoredInstance): void {
    // A restart in place saves a new start without its last exit: the one before is kept.
    this.db.prepare(`INSERT INTO instances (id, app, release, type, host, port, pid, handle, state, started_at, restarts, next_restart_at, last_exit, num)
      VALUES (@id, @app, @release, @type, @host, @port, @pid, @handle, @state, @startedAt, @restarts, @nextRestartAt, @lastExit, @num)
      ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, handle = excluded.handle, state = excluded.state,
        started_at = excluded.started_at, restarts = excluded.restarts, host = excluded.host, port = excluded.port,
        next_restart_at = excluded.next_restart_at, last_exit = COALESCE(excluded.last_exit, instances.last_exit),
        num = COALESCE(excluded.num, instances.num)`)
      .run({ ...i, lastExit: i.lastExit ? JSON.stringify(i.lastExit) : null, num: i.num ?? null });
  }

  get(id: string): StoredInstance | null {
    const r = this.db.prepare<[string], InstanceRow>('SELECT * FROM instances WHERE id = ?').get(id);
    return r ? toInstance(r) : null;
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM instances WHERE id = ?').run(id);
  }

  /** One app's instances (every app's without one), by type and id. */
  list(app?: string): StoredInstance[] {
    const rows = app
      ? this.db.prepare<[string], InstanceRow>('SELECT * FROM instances WHERE app = ? ORDER BY type, id').all(app)
      : this.db.prepare<[], InstanceRow>('SELECT * FROM instances ORDER BY app, type, id').all();
    return rows.map(toInstance);
  }
}
