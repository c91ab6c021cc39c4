// The Builder seam: a source tree plus a BuildPlan in, a runnable Artifact out.
import type { Artifact, BuildPlan, Manifest } from '../core/index.ts';
import type { PreviousBuild } from './reuse-install.ts';

export interface BuildRequest {
  app: string;
  /** The checked-out source, owned by the build from here on. */
  sourceDir: string;
  plan: BuildPlan;
  /** The app's config vars, visible to build steps (as on Heroku). */
  config: Record<string, string>;
  log: (line: string) => void;
  /** The validated cloud_manifest.yml, when the caller has read it already. */
  manifest?: Manifest;
  /** The pushed commit as a tar archive (the Docker builder streams its context from it). */
  sourceTar?: string;
  /** The version the release will get (images are tagged with it). */
  version?: number;
  commit?: string | null;
  /**
   * A preview app's build: the guardrails hold it first (it waits behind other builds, needs twice the free memory,
   * and runs at PREVIEW_BUILD_WEIGHT of the CPU when production wants it).
   */
  preview?: boolean;
  /** The build the app runs now (a directory on the host): its dependencies may be reused. */
  previous?: PreviousBuild;
}

export interface Builder {
  readonly name: string;
  /**
   * Unpacks the pushed archive into `dir`, emptied first: as much as this builder reads there (detection and the
   * manifest read the top level; the host builds in the whole tree, the Docker builder streams it from the archive).
   */
  unpack(sourceTar: string, dir: string): Promise<void>;
  build(req: BuildRequest): Promise<Artifact>;
  /** Frees the artifacts releases no longer need; `wanted` lists artifact refs, most wanted first. */
  prune?(app: string, wanted: string[]): Promise<void>;
  /** apps:rename: the app's built artifacts under the new name (images retagged; directories move with the app's). */
  rename?(from: string, to: string): Promise<void>;
  /** Bytes the app's artifacts hold outside the data directory (Docker: its images' own layers), per app. */
  usage?(): Promise<Map<string, number>>;
}

/** A preview build's CPU weight, where 100 is everyone's: a tenth, so production's requests come first on a busy CPU. */
export const PREVIEW_BUILD_WEIGHT = 10;
