// A steady loop of requests through the router while something else happens; counts what went wrong.
import { get } from './net.ts';

export interface LoadResult { total: number; failures: string[]; bodies: string[] }

export function load(port: number, host: string, concurrency = 2): { stop(): Promise<LoadResult>; total(): number } {
  let running = true;
  const result: LoadResult = { total: 0, failures: [], bodies: [] };
  const loop = async () => {
    while (running) {
      try {
        const r = await get(port, host);
        result.total++;
        if (r.status < 200 || r.status > 299) result.failures.push(`${r.status} ${r.body.slice(0, 80)}`);
        else result.bodies.push(r.body);
      } catch (e) {
        result.total++;
        result.failures.push(String(e));
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    /** Requests answered so far. */
    total: () => result.total,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}
