// health: the deploy gate and the restart policy.
export { waitHealthy, probe, type HealthOptions, type HealthResult } from './wait-healthy.ts';
export { nextDelay, BACKOFF } from './backoff.ts';
