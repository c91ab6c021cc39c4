// The Builder seam: a source tree plus a BuildPlan in, a runnable Artifact out.
import type { Artifact, BuildPlan, Manifest } from '../core/index.ts';

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
}

export interface Builder {
  readonly name: string;
  /** False: the builder reads only the top-level files of sourceDir (the rest comes from sourceTar). */
  readonly needsTree: boolean;
  build(req: BuildRequest): Promise<Artifact>;
  /** Frees the artifacts releases no longer need; `wanted` lists artifact refs, most wanted first. */
  prune?(app: string, wanted: string[]): Promise<void>;
}
