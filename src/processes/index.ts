// processes: the process manager: which instances of which release run, kept alive, put to sleep, and cron runs; ProcessService, what the API asks of it.
export { Formation, type FormationOptions } from './formation.ts';
export type { FormationEvents } from './events.ts';
export { Sleeper } from './sleeper.ts';
export { CronRunner, cronStatus, type CronEntry, type CronRunnerDeps } from './cron-runner.ts';
export { ProcessService, type ProcessDeps, type SleepInput } from './service.ts';
export { NodeService } from './nodes.ts';
export { moveApps, type MoveSummary, type RuntimeMoveDeps } from './runtime-move.ts';
