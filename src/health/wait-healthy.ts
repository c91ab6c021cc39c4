// The deploy gate: wait until a new instance answers HTTP, or give up with the reason.
import { get } from 'node:http';
import { mark } from '../core/index.ts';
export interface HealthOptions {
  host: string;
  port: number;
  path?: string;
  timeoutMs: number;
  /** Stops waiting early, e.g. when the process already exited. */
  gone?: () => boolean;
}

/** `timedOut`: no answer within the probe's time (not a refusal, nor an error status). */
export type HealthResult = { ok: true; status: number } | { ok: false; reason: string; timedOut?: boolean };

/**
 * One health probe: with a path, an answer below 500; without, any HTTP answer at all. One connection, the request
 * written as it opens (node:http without an agent: no pool, no fetch machinery), so a refused connect costs a few
 * syscalls and can be tried every few ms, and the one that is accepted is asked at once.
 */
export function probe(o: { host: string; port: number; path?: string; timeoutMs: number }): Promise<HealthResult> {
  return new Promise((resolve) => {
    const req = get({ host: o.host, port: o.port, path: o.path ?? '/', agent: false, headers: { 'user-agent': 'minicloud-health' } });
    const done = (r: HealthResult) => { clearTimeout(timer); req.destroy(); resolve(r); };
    // Each probe has its own timeout: a probe can hang before the app listens (docker-proxy accepts for it).
    const timer = setTimeout(() => done({ ok: false, reason: `no answer within ${o.timeoutMs / 1000} s`, timedOut: true }), o.timeoutMs);
    req.once('socket', (s) => s.once('connect', () => mark('accepts')));
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      done(!o.path || status < 500 ? { ok: true, status } : { ok: false, reason: `GET ${o.path} answered ${status}` });
    });
    req.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, reason: e.code ?? e.message }));
  });
}

/** Pauses between attempts: a few ms at first (readiness is seen as the port opens), 20 ms at most. */
const FIRST_PAUSE_MS = 2;
const MAX_PAUSE_MS = 20;

export async function waitHealthy(o: HealthOptions): Promise<HealthResult> {
  const deadline = Date.now() + o.timeoutMs;
  let last = 'no answer yet';
  let pause = FIRST_PAUSE_MS;
  while (Date.now() < deadline) {
    if (o.gone?.()) return { ok: false, reason: 'the process exited before it answered on $PORT' };
    const timeoutMs = Math.min(2000, Math.max(100, deadline - Date.now()));
    const r = await probe({ host: o.host, port: o.port, path: o.path, timeoutMs });
    if (r.ok) {
      mark('answered');
      return r;
    }
    last = r.reason;
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(MAX_PAUSE_MS, pause * 2);
  }
  return { ok: false, reason: `no HTTP answer on $PORT within ${Math.round(o.timeoutMs / 1000)} s (last: ${last})` };
}
