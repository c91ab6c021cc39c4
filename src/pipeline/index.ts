// pipeline: the deploy script: build or reuse a release, run its release phase, roll it out, report.
export { Pipeline, sourceTar, type PipelineDeps, type RunOptions } from './deploy.ts';
