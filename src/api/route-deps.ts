// What every route module is given (one RouteDeps: the composition root's parts, and the access layer createApi makes
// from them), and the app as the API shows it.
import type { Request } from 'express';
import type { AppInfo, CertsReport, DiskUsageInfo, PruneReportInfo, PruneRequest, RouterDaemonReport, SwarmInitDone } from '../core/index.ts';
import type { AddonsService } from '../addons/index.ts';
import type { AlertService } from '../alerts/index.ts';
import type { AppsDeps, AppsService, PreviewsService } from '../apps/index.ts';
import type { BackupsService, ServerBackupDeps, ServerRestoreDeps } from '../backups/index.ts';
import type { CatalogInstaller, CatalogUpgrader, ComposeInstaller } from '../catalog/index.ts';
import type { GithubIntake, PushIntake } from '../intake/index.ts';
import type { Metrics } from '../metrics/index.ts';
import type { Runtime } from '../runtime/index.ts';
import type { NodeService, ProcessService } from '../processes/index.ts';
import type { AccessLayer } from './access/index.ts';

export interface ServerStatus {
  runtime: 'docker' | 'process' | 'swarm';
  /** The engine's version, when the runtime is Docker. */
  docker: string | null;
  builds: { concurrency: number; memoryMb: number | null };
  defaultMemoryMb: number;
  defaultCpu: number;
  defaultPids: number;
  /** How apps are kept apart: 'containers', 'per-app users' (host processes as root) or 'none'. */
  isolation: { mode: 'containers' | 'per-app users' | 'none'; summary: string };
  /** How apps' limits hold (containers, a cgroup version, or process groups) and whether memory and CPU ones do. */
  limits: { mechanism: string; enforced: boolean; summary: string };
  apps: number;
}

/** What the routes need of certs/ (main.ts passes its Certificates). */
export interface CertsView {
  report(app: string): CertsReport;
  renew(app: string, domain?: string): Promise<CertsReport>;
  addCustom(app: string, certPem: unknown, keyPem: unknown, domain?: string): CertsReport;
  removeCustom(app: string, domain?: string): CertsReport;
}

/** `minicloud backup` / `restore`: what the server archive's routes (server-routes.ts) need. */
export interface ServerMovesDeps { backup: ServerBackupDeps; restore: ServerRestoreDeps }

export interface RouteDeps extends AppsDeps {
  /** Who may call what, the dashboard's sessions, tokens, people and the audit log (made by createApi). */
  access: AccessLayer;
  service: AppsService;
  previews: PreviewsService;
  /** The app's access log file, once the router has written out what it gathered. */
  routerLog: (app: string) => Promise<string>;
  /** The app's output file (`<data>/logs/<app>/app.log`), for the merged logs. */
  appLog: (app: string) => string;
  addons: AddonsService;
  github: GithubIntake;
  processes: ProcessService;
  /** A swarm's nodes (`minicloud nodes`); on one server its routes say there are none. */
  nodes: NodeService;
  /** `minicloud swarm:init`: this server's engine made a one-node swarm, its running apps moved onto it. */
  swarm: { init(advertiseAddr: string | undefined, say: (line: string) => void): Promise<SwarmInitDone> };
  push: PushIntake;
  runtime: Runtime;
  /** Runs an app's cron entry now (POST /apps/:app/cron/run); without it that route answers 503. */
  cron?: { runNow(job: { app: string; schedule: string; command: string }): { startedAt: string } };
  /** What minicloud runs on, for GET /status. */
  status: () => Omit<ServerStatus, 'apps'>;
  /** Router and instance metrics; without it an app's metrics are empty and /metrics is not served. */
  metrics?: Metrics;
  /** Certificates of the router's HTTPS listener (certs/); without it the certs routes answer 400. */
  certs?: CertsView;
  /** The router daemon: its status and a restart of its workers (no request fails); absent before it runs. */
  edge?: { status(): Promise<RouterDaemonReport>; restart(): Promise<RouterDaemonReport> };
  /** MINICLOUD_DOMAIN: an app's default host is `<app>.<baseDomain>`. */
  baseDomain: string;
  /** https://admin.<domain> when there is one: GitHub's webhook URL must be public, whoever asked. */
  publicUrl?: string | null;
  /** Backups of apps' add-ons and volumes; without it the backup routes answer 503. */
  backups?: BackupsService;
  /** Alert channels and history; without it the alert routes answer 503. */
  alerts?: AlertService;
  /** Installs catalog entries as apps; without it installs answer 503 (the catalog is still listed). */
  catalog?: CatalogInstaller;
  /** apps:upgrade of catalog apps; without it upgrades answer 503. */
  upgrades?: CatalogUpgrader;
  /** Makes apps of Compose files; without it those routes answer 503. */
  compose?: ComposeInstaller;
  /** Rebuilds the routes after an app's domains or router settings changed; resolves once the router serves them. */
  refreshRoutes: (app: string) => Promise<void>;
  /** `minicloud df` and `minicloud prune`; without it their routes answer 503. */
  disk?: { usage(): Promise<DiskUsageInfo>; prune(o: PruneRequest): Promise<PruneReportInfo> };
  /** The server archive's routes; absent, they answer 404. */
  moves?: ServerMovesDeps;
}

/** The app with its URL and its git remote as the caller reached us (https://admin.<domain> through the router, or localhost). */
export function appInfo(d: RouteDeps, req: Request, name: string): AppInfo {
  const app = d.store.apps.require(name);
  return { ...app, url: d.appUrl(app.name), gitUrl: `${req.protocol}://${req.get('host')}/git/${app.name}.git` };
}
