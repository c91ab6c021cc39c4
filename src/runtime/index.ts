// runtime: the Runtime seam and its implementations.
export { instanceName } from './runtime.ts';
export type { Runtime, NodeControl, InstanceSpec, RunningInstance, LogOptions, ExitReason, Activity, ConsoleOptions, Terminal } from './runtime.ts';
export { ProcessRuntime } from './process-runtime.ts';
export { DockerRuntime, type DockerRuntimeOptions } from './docker-runtime.ts';
export { SwarmRuntime, type SwarmRuntimeOptions } from './swarm-runtime.ts';
export { RuntimeSwitch, isContainerHandle } from './runtime-switch.ts';
export { advertiseAddr, engineSwarm, initSwarm, swarmNodes, type EngineClient, type SwarmInitResult } from './swarm-init.ts';
export { containerSpec, volumeMounts, CONTAINER_PORT } from './container-spec.ts';
export { AppLogs } from './app-logs.ts';
export { connectDocker, runtimeChoice, type RuntimeChoice } from './connect-docker.ts';
