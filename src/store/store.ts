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
import { InstancesTable } from './instances.ts';
import { GithubLinksTable } from './github-links.ts';
import { AddonsTable } from './addons.ts';

export type { StoredInstance } from './instances.ts';
export type { GithubLink } from './github-links.ts';
export type { StoredAddon } from './addons.ts';
export type { Volume } from './volumes.ts';
export type { StoredJob } from './deploys.ts';

const now = () => new Date().toISOString();

export class Store {
  readonly db: Db;
  readonly apps: AppsTable;
  readonly releases: ReleasesTable;
  readonly configVars: ConfigVarsTable;
  readonly formation: FormationTable;
  readonly instances: InstancesTable;
  readonly githubLinks: GithubLinksTable;
  readonly addons: AddonsTable;
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
    this.instances = new InstancesTable(this.db);
    this.githubLinks = new GithubLinksTable(this.db);
    this.addons = new AddonsTable(this.db);
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
}
