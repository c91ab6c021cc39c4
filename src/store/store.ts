// The durable state: one SQLite file, one repository per table (each file holds its row type and its queries).
// One vocabulary across them: get (or null) / require (or 404) / list / all (every app's) read; create makes a row the
// table names or numbers (an app, a release, a deploy); add inserts one the caller names; save and set insert or replace
// (whole, in part); delete and remove take rows away; SQL and the snake_case row types stay inside each file.
import { openDb, type Db } from './db.ts';
import { renameAppRows } from './rename.ts';
import { AppsTable } from './apps.ts';
import { ConfigVarsTable } from './config-vars.ts';
import { ReleasesTable } from './releases.ts';
import { DeploysTable } from './deploys.ts';
import { DeployLogsTable } from './deploy-logs.ts';
import { DeployJobsTable } from './deploy-jobs.ts';
import { FormationTable } from './formation.ts';
import { InstancesTable } from './instances.ts';
import { DomainsTable } from './domains.ts';
import { RouterSettingsTable } from './router-settings.ts';
import { VolumesTable } from './volumes.ts';
import { AddonsTable } from './addons.ts';
import { GithubLinksTable } from './github-links.ts';
import { CronRunsTable } from './cron-runs.ts';
import { BackupsTable } from './backups.ts';
import { TokensTable } from './tokens.ts';
import { UsersTable } from './users.ts';
import { SessionsTable } from './sessions.ts';
import { AuditTable } from './audit.ts';
import { AlertChannelsTable } from './alert-channels.ts';
import { AlertIncidentsTable } from './alert-incidents.ts';
import { AlertHistoryTable } from './alert-history.ts';
import { PreviewsTable } from './previews.ts';
import { MetricPointsTable } from './metric-points.ts';

export type { StoredInstance } from './instances.ts';
export type { GithubLink } from './github-links.ts';
export type { StoredAddon } from './addons.ts';
export type { Volume } from './volumes.ts';
export type { StoredJob } from './deploys.ts';

export class Store {
  readonly db: Db;
  readonly apps: AppsTable;
  readonly configVars: ConfigVarsTable;
  readonly releases: ReleasesTable;
  readonly deploys: DeploysTable;
  readonly deployLogs: DeployLogsTable;
  readonly deployJobs: DeployJobsTable;
  readonly formation: FormationTable;
  readonly instances: InstancesTable;
  readonly domains: DomainsTable;
  readonly routerSettings: RouterSettingsTable;
  readonly volumes: VolumesTable;
  readonly addons: AddonsTable;
  readonly githubLinks: GithubLinksTable;
  readonly cronRuns: CronRunsTable;
  readonly backups: BackupsTable;
  readonly tokens: TokensTable;
  readonly users: UsersTable;
  readonly sessions: SessionsTable;
  readonly audit: AuditTable;
  readonly alertChannels: AlertChannelsTable;
  readonly alertIncidents: AlertIncidentsTable;
  readonly alertHistory: AlertHistoryTable;
  readonly previews: PreviewsTable;
  readonly metricPoints: MetricPointsTable;

  constructor(file: string) {
    const db = (this.db = openDb(file));
    this.apps = new AppsTable(db);
    this.configVars = new ConfigVarsTable(db);
    this.releases = new ReleasesTable(db);
    this.deploys = new DeploysTable(db);
    this.deployLogs = new DeployLogsTable(db);
    this.deployJobs = new DeployJobsTable(db);
    this.formation = new FormationTable(db);
    this.instances = new InstancesTable(db);
    this.domains = new DomainsTable(db);
    this.routerSettings = new RouterSettingsTable(db);
    this.volumes = new VolumesTable(db);
    this.addons = new AddonsTable(db);
    this.githubLinks = new GithubLinksTable(db);
    this.cronRuns = new CronRunsTable(db);
    this.backups = new BackupsTable(db);
    this.tokens = new TokensTable(db);
    this.users = new UsersTable(db);
    this.sessions = new SessionsTable(db);
    this.audit = new AuditTable(db);
    this.alertChannels = new AlertChannelsTable(db);
    this.alertIncidents = new AlertIncidentsTable(db);
    this.alertHistory = new AlertHistoryTable(db);
    this.previews = new PreviewsTable(db);
    this.metricPoints = new MetricPointsTable(db);
  }

  /** apps:rename: every row of the app under its new name, one transaction (store/rename.ts). */
  renameApp(from: string, to: string, artifactPaths: { from: string; to: string }[]): void {
    renameAppRows(this.db, from, to, artifactPaths);
  }

  close(): void {
    this.db.close();
  }

  /** False once closed: late events (a process exiting during shutdown) must then leave it alone. */
  get isOpen(): boolean {
    return this.db.open;
  }
}
