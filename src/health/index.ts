// health: the deploy gate and the restart policy.
export { waitHealthy, probe, type HealthOptions, type HealthResult } from './wait-healthy.ts';
export { nextDelay, BACKOFF } from './backoff.ts';
export { HangJudge, PROBE_DEFAULTS, BUSY_WINDOW_MS, BLIND_WINDOW_MS, type ProbeSettings, type ProbeOutcome } from './hang.ts';
