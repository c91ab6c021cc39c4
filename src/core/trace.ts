// Phase timings of one wake or deploy (MINICLOUD_LOG_LEVEL=debug): marks set anywhere below it, one log line at its end.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from './logger.ts';

interface Trace { t0: number; marks: Array<[string, number]> }

// Carried through the awaits of one operation, so the runtime, health check and router link mark it without being told.
const current = new AsyncLocalStorage<Trace>();

/** Records that `phase` ended now, in the operation being traced (none: nothing happens; cheap). */
export function mark(phase: string): void {
  current.getStore()?.marks.push([phase, performance.now()]);
}

/** Runs `fn` traced: at its end `log.debug` gets `<label>: <phase> +<ms since the start> ms, …, done <total> ms`. */
export async function traced<T>(log: Logger | undefined, label: string, fn: () => Promise<T>): Promise<T> {
  if (!log) return fn();
  const trace: Trace = { t0: performance.now(), marks: [] };
  try {
    return await current.run(trace, fn);
  } finally {
    log.debug(formatTrace(label, trace, performance.now()));
  }
}

/** `wake hello: spawned +12 ms, accepts +140 ms, done 151 ms` (each mark's time since the start). */
export function formatTrace(label: string, t: Trace, end: number): string {
  const parts = t.marks.map(([phase, at]) => `${phase} +${Math.round(at - t.t0)} ms`);
  return `${label}: ${[...parts, `done ${Math.round(end - t.t0)} ms`].join(', ')}`;
}
