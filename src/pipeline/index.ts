// pipeline: the deploy orchestrator and the formation of running instances.
export { Pipeline, sourceTar, type PipelineDeps, type RunOptions } from './deploy.ts';
export { Formation, type FormationOptions } from './formation.ts';
export { Sleeper } from './sleeper.ts';
