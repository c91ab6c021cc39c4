// The deploy gate: wait until a new instance answers HTTP, or give up with the reason.
import { connect } from 'node:net';
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

/** One health probe: with a path, an answer below 500; without, any HTTP answer at all. */
export async function probe(o: { host: string; port: number; path?: string; timeoutMs: number }): Promise<HealthResult> {
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  try {
    // Each probe has its own timeout: a probe can hang before the app listens.
    const res = await fetch(`http://${host}:${o.port}${o.path ?? '/'}`, { signal: AbortSignal.timeout(o.timeoutMs), redirect: 'manual' });
    await res.body?.cancel();
    if (!o.path || res.status < 500) return { ok: true, status: res.status };
    return { ok: false, reason: `GET ${o.path} answered ${res.status}` };
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    if ((e as Error).name === 'TimeoutError') return { ok: false, reason: `no answer within ${o.timeoutMs / 1000} s`, timedOut: true };
    return { ok: false, reason: cause?.code ?? (e as Error).message };
  }
}

/**
 * Whether the port accepts a connection now: true, or why not (ECONNREFUSED while the app is not listening yet).
 * A refused connect costs a few syscalls, so it can be tried every few ms; an HTTP probe only once it accepts.
 */
export function accepts(host: string, port: number, timeoutMs: number): Promise<true | string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (r: true | string) => { clearTimeout(timer); s.destroy(); resolve(r); };
    const timer = setTimeout(() => done(`no answer within ${timeoutMs / 1000} s`), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
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
    const open = await accepts(o.host, o.port, timeoutMs);
    if (open === true) {
      const r = await probe({ host: o.host, port: o.port, path: o.path, timeoutMs });
      if (r.ok) return r;
      last = r.reason;
    } else {
      last = open;
    }
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(MAX_PAUSE_MS, pause * 2);
  }
  return { ok: false, reason: `no HTTP answer on $PORT within ${Math.round(o.timeoutMs / 1000)} s (last: ${last})` };
}
