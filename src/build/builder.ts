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
}

export interface Builder {
  readonly name: string;
  build(req: BuildRequest): Promise<Artifact>;
}
