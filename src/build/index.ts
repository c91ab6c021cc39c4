// build: detect a buildpack and turn a BuildPlan into something a Runtime can run.
export type { Builder, BuildRequest } from './builder.ts';
export { HostBuilder, type HostBuilderOptions } from './host-builder.ts';
export { loadBuildpacks, detect, planFor, type Buildpack } from './buildpacks.ts';
export { parseProcfile } from './procfile.ts';
export { killRunningSteps } from './run-step.ts';
export { MANIFEST_FILES, readManifest, parseManifest, type ManifestFile } from './manifest.ts';
export { checkSourceArchive } from './archive.ts';
export { DockerBuilder, imageName, type DockerBuilderOptions } from './docker-builder.ts';
export { BuildSlots, memAvailableMb, type SlotOptions } from './slots.ts';
export { ImageImporter } from './image-import.ts';
export type { SwarmRegistry } from './registry-push.ts';
export { bundleCli, cliTarball } from './cli-package.ts';
export { COMPOSE_FILES, composeEnvFiles, parseCompose } from './compose.ts';
export { treeCompose } from './compose-tree.ts';
