// A queued deploy: what its job carries besides the deploy's record. The queue keeps it in Redis; the pipeline runs it.
import type { Manifest, RunUser, ServiceImage } from './types.ts';

/** Credentials for a private registry (image deploys). */
export interface RegistryAuth { username: string; password: string; serveraddress?: string }

export interface DeployJob {
  deployId: string;
  /** Shown in the release list for config changes and restarts. */
  description?: string;
  /** Rollback: the release to go back to; unset: the one before the current. */
  targetRelease?: number;
  /** A webhook deploy: the linked GitHub repository (owner/repo) its commit is fetched from (a git push brings its own archive). */
  fetchFrom?: string;
  /**
   * Image deploys: registry credentials. Never stored with the job (Redis keeps job data, in its append-only
   * file too): the process that queued it holds them in memory by deploy id, and hands them to the pipeline.
   */
  registryAuth?: RegistryAuth;
  /**
   * Image deploys of a catalog entry: the processes and manifest (port, health check) the entry gives, used instead
   * of the image's own command and cloud_manifest.yml (an upstream image has neither as minicloud needs them).
   */
  runAs?: ImageRunAs;
  /** Stored instead: the deploy was given credentials. Set with no `registryAuth`, they were lost in a restart. */
  registryAuthHeld?: boolean;
}

/** How an image deploy runs its image: a catalog entry's or a Compose file's processes, manifest, user, and the services with images of their own. */
export interface ImageRunAs {
  processes: Record<string, string>;
  manifest: Manifest;
  user?: RunUser;
  services?: Record<string, ServiceImage>;
}
