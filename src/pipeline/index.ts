// pipeline: the deploy orchestrator and the formation of running instances.
export { Pipeline, sourceTar, type PipelineDeps } from './deploy.ts';
export { Formation, type FormationOptions } from './formation.ts';
