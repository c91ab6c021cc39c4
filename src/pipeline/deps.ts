// What the deploy script is given: the store, the deploy log, the builder and the formation it asks to run releases.
import type { Artifact, Deploy, ImageRunAs, Logger, Manifest, RegistryAuth, ServiceImage } from '../core/index.ts';
import type { Builder, Buildpack } from '../build/index.ts';
import type { DeployLog } from '../log/index.ts';
import type { Formation } from '../processes/index.ts';
import type { Store } from '../store/index.ts';

export type Say = (line: string) => void;

export interface PipelineDeps {
  store: Store;
  log: Pick<DeployLog, 'append' | 'end'>;
  builder: Builder;
  buildpacks: Buildpack[];
  /** Runs the release phase and rolls a release out. */
  formation: Pick<Formation, 'releasePhase' | 'rollout'> & Partial<Pick<Formation, 'prewarm'>>;
  sourcesDir: string;
  buildsDir: string;
  /** The most a pushed tree may hold, unpacked (MINICLOUD_MAX_SOURCE_MB). */
  maxSourceBytes?: number;
  appUrl: (app: string) => string;
  /** Provisions what the manifest `needs` (add-ons) before the first release that needs them. */
  provision?: (app: string, needs: NonNullable<Manifest['needs']>, say: Say) => Promise<void>;
  /** A start of the app is coming: the runtime readies what it would wait for beside the build (Runtime.readyStart). */
  readyStart?: (app: string) => Promise<void>;
  /** The app's route made again (a release kept without a rollout: a stopped or sleeping app's first one is no longer `undeployed`). */
  routesChanged?: (app: string) => void;
  /** Makes the app's cron schedules those of the release that just became current. */
  syncCron?: (app: string, entries: NonNullable<Manifest['cron']>) => Promise<void>;
  /** Image deploys (Docker runtime only): pulls and tags a published image as release `version`. */
  images?: {
    import(req: { app: string; image: string; version: number; auth?: RegistryAuth; log: Say; runAs?: ImageRunAs }): Promise<Artifact>;
    /** A Compose file's services with images of their own, tagged for release `version`, with their commands. */
    services(req: { app: string; version: number; services: Record<string, ServiceImage>; processes: Record<string, string>; log: Say }): Promise<{ services: Record<string, ServiceImage>; processes: Record<string, string> }>;
  };
  /** Writes the deploy's commit as a tar archive to `tarFile` (webhook deploys). */
  fetchSource?: (deploy: Deploy, repo: string, tarFile: string, say: Say) => Promise<void>;
  /** Attaches add-ons by kind, once each (a pushed Compose file's services mapped to add-ons). */
  provisionKinds?: (app: string, kinds: string[], say: Say) => Promise<void>;
  /** Drops an add-on whose attach rode in a release that failed (its config vars were never kept). */
  detachAddon?: (app: string, kind: string, say: Say) => Promise<void>;
  /** Where the per-app deploy locks live (shared by every minicloud process on this data dir). */
  locksDir: string;
  /** Refuses to start a build below the free-space floor (MINICLOUD_MIN_FREE), saying how much is free. */
  checkFreeSpace?: (what: string) => void;
  /** The operator's log (not the deploy's own, which is `log`): internal errors, failed image prunes. */
  logger?: Logger;
}
