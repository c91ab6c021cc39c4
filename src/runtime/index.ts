// runtime: the Runtime seam and its implementations.
export type { Runtime, InstanceSpec, RunningInstance, LogOptions } from './runtime.ts';
export { ProcessRuntime } from './process-runtime.ts';
