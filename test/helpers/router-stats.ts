// Test helper: what the router's engines did while a test step ran (this process's routerStats).
import { routerStats, type HandOver } from '../../proxy/edge/dispatch.ts';

/** Runs `fn` and says how many requests the fast path served and how many connections it handed over meanwhile, and why. */
export async function counting(fn: () => Promise<unknown>): Promise<{ fast: number; handedOver: number; why: Partial<Record<HandOver, number>> }> {
  const before = structuredClone(routerStats);
  await fn();
  const why = Object.entries(routerStats.why).map(([k, v]) => [k, v - before.why[k as HandOver]] as const).filter(([, d]) => d !== 0);
  return { fast: routerStats.fast - before.fast, handedOver: routerStats.handedOver - before.handedOver, why: Object.fromEntries(why) };
}
