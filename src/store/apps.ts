// Apps: a name, the branch that deploys, the release it serves, awake or asleep, and its resource limits (router settings: router-settings.ts).
import { NotFoundError, UserError, type App } from '../core/index.ts';
import type { Db } from './db.ts';

/** A row of `apps`, the columns this file reads. */
export interface AppRow {
  name: string;
  deploy_branch: string;
  created_at: string;
  current_release: number | null;
  state: App['state'];
  sleep_after: number | null;
  memory_mb: number | null;
  cpu: number | null;
  pids: number | null;
  maintenance: number;
}

const toApp = (r: AppRow): App => ({
  name: r.name, deployBranch: r.deploy_branch, createdAt: r.created_at, currentRelease: r.current_release, state: r.state,
  sleepAfterSeconds: r.sleep_after, memoryMb: r.memory_mb, cpu: r.cpu, pids: r.pids, maintenance: r.maintenance === 1,
});

/** An app installed from the catalog: the entry's id, and each image released for it → the entry's version it is. */
export interface AppCatalog { id: string; images: Record<string, string> }

export class AppsTable {
  constructor(private readonly db: Db) {}

  create(name: string, deployBranch = 'main'): App {
    if (this.get(name)) {
      throw new UserError(`app ${name} already exists`, 'pick another name, or use `minicloud apps:info ' + name + '`', 409);
    }
    this.db.prepare('INSERT INTO apps (name, deploy_branch, created_at) VALUES (?, ?, ?)').run(name, deployBranch, new Date().toISOString());
    return this.require(name);
  }

  get(name: string): App | null {
    const r = this.db.prepare<[string], AppRow>('SELECT * FROM apps WHERE name = ?').get(name);
    return r ? toApp(r) : null;
  }

  require(name: string): App {
    const app = this.get(name);
    if (!app) throw new NotFoundError(`app ${name} not found`, 'see your apps with `minicloud apps`, or create it with `minicloud apps:create ' + name + '`');
    return app;
  }

  list(): App[] {
    return this.db.prepare<[], AppRow>('SELECT * FROM apps ORDER BY name').all().map(toApp);
  }

  delete(name: string): void {
    this.db.prepare('DELETE FROM apps WHERE name = ?').run(name);
  }

  setCurrentRelease(app: string, version: number): void {
    this.db.prepare('UPDATE apps SET current_release = ? WHERE name = ?').run(version, app);
  }

  setState(app: string, state: App['state']): void {
    this.db.prepare('UPDATE apps SET state = ? WHERE name = ?').run(state, app);
  }

  setMemory(app: string, mb: number | null): void {
    this.db.prepare('UPDATE apps SET memory_mb = ? WHERE name = ?').run(mb, app);
  }

  setCpu(app: string, cpu: number | null): void {
    this.db.prepare('UPDATE apps SET cpu = ? WHERE name = ?').run(cpu, app);
  }

  setPids(app: string, pids: number | null): void {
    this.db.prepare('UPDATE apps SET pids = ? WHERE name = ?').run(pids, app);
  }

  setDeployBranch(app: string, branch: string): void {
    this.db.prepare('UPDATE apps SET deploy_branch = ? WHERE name = ?').run(branch, app);
  }

  /** The catalog entry the app was installed from, and the version of each image it was released from; null: not from the catalog. */
  catalog(app: string): AppCatalog | null {
    const r = this.db.prepare<[string], { catalog: string | null }>('SELECT catalog FROM apps WHERE name = ?').get(app);
    return r?.catalog ? (JSON.parse(r.catalog) as AppCatalog) : null;
  }

  setCatalog(app: string, c: AppCatalog): void {
    this.db.prepare('UPDATE apps SET catalog = ? WHERE name = ?').run(JSON.stringify(c), app);
  }

  setMaintenance(app: string, on: boolean): void {
    this.db.prepare('UPDATE apps SET maintenance = ? WHERE name = ?').run(on ? 1 : 0, app);
  }

  setSleepAfter(app: string, seconds: number | null): void {
    this.db.prepare('UPDATE apps SET sleep_after = ? WHERE name = ?').run(seconds, app);
  }
}
