// The durable state: apps, config vars, releases, deploys and their logs, instances, tokens.
import { randomUUID } from 'node:crypto';
import { type Deploy, type LogLine } from '../core/index.ts';
import { openDb, type Db } from './db.ts';
import { AppsTable } from './apps.ts';
import { ReleasesTable } from './releases.ts';
import { ConfigVarsTable } from './config-vars.ts';
import { FormationTable } from './formation.ts';
import { CronRuns } from './cron-runs.ts';
import { Domains } from './domains.ts';
import { Volumes } from './volumes.ts';
import { SessionsTable } from './sessions.ts';
import { RouterSettingsStore } from './router-settings.ts';
import { Backups } from './backups.ts';
import { AuditLog, TokensTable, UsersTable } from './access-tables.ts';
import { DeployJobsTable } from './deploy-jobs.ts';
import { DeploysTable } from './deploys.ts';
import { DeployLogsTable } from './deploy-logs.ts';
import { toAddon, toInstance, toLink, type GithubLink, type Row, type StoredAddon, type StoredInstance } from './rows.ts';

export type { GithubLink, StoredAddon, StoredInstance } from './rows.ts';
export type { Volume } from './volumes.ts';
export type { StoredJob } from './deploys.ts';

const now = () => new Date().toISOString();

export class Store {
  readonly db: Db;
  readonly apps: AppsTable;
  readonly releases: ReleasesTable;
  readonly configVars: ConfigVarsTable;
  readonly formation: FormationTable;
  readonly domains: Domains;
  readonly volumes: Volumes;
  readonly sessions: SessionsTable;
  readonly routerSettings: RouterSettingsStore;
  readonly cronRuns: CronRuns;
  readonly backups: Backups;
  readonly deploys: DeploysTable;
  readonly deployJobs: DeployJobsTable;
  readonly deployLogs: DeployLogsTable;

  constructor(file: string) {
    this.db = openDb(file);
    this.apps = new AppsTable(this.db);
    this.releases = new ReleasesTable(this.db);
    this.configVars = new ConfigVarsTable(this.db);
    this.formation = new FormationTable(this.db);
    this.domains = new Domains(this.db);
    this.volumes = new Volumes(this.db);
    this.sessions = new SessionsTable(this.db);
    this.routerSettings = new RouterSettingsStore(this.db);
    this.cronRuns = new CronRuns(this.db);
    this.backups = new Backups(this.db);
    this.deploys = new DeploysTable(this.db);
    this.deployJobs = new DeployJobsTable(this.db);
    this.deployLogs = new DeployLogsTable(this.db);
  }

  get tokens(): TokensTable { return new TokensTable(this.db); } // stateless views of their tables
  get audit(): AuditLog { return new AuditLog(this.db); }
  get users(): UsersTable { return new UsersTable(this.db); }
  close(): void {
    this.db.close();
  }

  /** False once closed: late events (a process exiting during shutdown) must then leave it alone. */
  get isOpen(): boolean {
    return this.db.open;
  }

  // --- instances
  saveInstance(i: StoredInstance): void {
    this.db.prepare(`INSERT INTO instances (id, app, release, type, host, port, pid, handle, state, started_at, restarts, next_restart_at)
      VALUES (@id, @app, @release, @type, @host, @port, @pid, @handle, @state, @startedAt, @restarts, @nextRestartAt)
      ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, handle = excluded.handle, state = excluded.state,
        started_at = excluded.started_at, restarts = excluded.restarts, host = excluded.host, port = excluded.port,
        next_restart_at = excluded.next_restart_at`).run(i);
  }

  getInstance(id: string): StoredInstance | null {
    const r = this.db.prepare('SELECT * FROM instances WHERE id = ?').get(id) as Row | undefined;
    return r ? toInstance(r) : null;
  }

  deleteInstance(id: string): void {
    this.db.prepare('DELETE FROM instances WHERE id = ?').run(id);
  }

  listInstances(app?: string): StoredInstance[] {
    const rows = app
      ? this.db.prepare('SELECT * FROM instances WHERE app = ? ORDER BY type, id').all(app)
      : this.db.prepare('SELECT * FROM instances ORDER BY app, type, id').all();
    return (rows as Row[]).map(toInstance);
  }

  // --- GitHub repositories followed by apps, and webhook deliveries seen
  setGithubLink(l: Omit<GithubLink, 'createdAt'>): GithubLink {
    this.db.prepare(`INSERT INTO github_links (app, repo, branch, secret, token, created_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (app) DO UPDATE SET repo = excluded.repo, branch = excluded.branch, secret = excluded.secret, token = excluded.token`)
      .run(l.app, l.repo, l.branch, l.secret, l.token, now());
    return this.getGithubLink(l.app)!;
  }

  getGithubLink(app: string): GithubLink | null {
    const r = this.db.prepare('SELECT * FROM github_links WHERE app = ?').get(app) as Row | undefined;
    return r ? toLink(r) : null;
  }

  /** Every app's link: a webhook is verified against each secret before its body is read. */
  githubLinks(): GithubLink[] {
    return (this.db.prepare('SELECT * FROM github_links ORDER BY app').all() as Row[]).map(toLink);
  }

  /** True the first time a delivery id is seen; false for a redelivery. */
  recordDelivery(id: string): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO webhook_deliveries (id, received_at) VALUES (?, ?)').run(id, now()).changes === 1;
  }

  // --- add-ons: credentials stay here (the file is 0600), never in an API answer
  saveAddon(a: StoredAddon): void {
    this.db.prepare(`INSERT INTO addons (app, kind, name, credentials, env_keys, created_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (app, kind) DO UPDATE SET name = excluded.name, credentials = excluded.credentials, env_keys = excluded.env_keys`)
      .run(a.app, a.kind, a.name, JSON.stringify(a.credentials), JSON.stringify(a.envKeys), a.createdAt || now());
  }

  listAddons(app: string): StoredAddon[] {
    return (this.db.prepare('SELECT * FROM addons WHERE app = ? ORDER BY kind').all(app) as Row[]).map(toAddon);
  }

  deleteAddon(app: string, kind: string): void {
    this.db.prepare('DELETE FROM addons WHERE app = ? AND kind = ?').run(app, kind);
  }
}
