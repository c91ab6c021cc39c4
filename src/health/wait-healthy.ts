// The deploy gate: wait until a new instance answers HTTP, or give up with the reason.
export interface HealthOptions {
  host: string;
  port: number;
  path?: string;
  timeoutMs: number;
  /** Stops waiting early, e.g. when the process already exited. */
  gone?: () => boolean;
}

export type HealthResult = { ok: true; status: number } | { ok: false; reason: string };

export async function waitHealthy(o: HealthOptions): Promise<HealthResult> {
  const deadline = Date.now() + o.timeoutMs;
  const url = `http://${o.host}:${o.port}${o.path ?? '/'}`;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (o.gone?.()) return { ok: false, reason: 'the process exited before it answered on $PORT' };
    try {
      // Each probe has its own timeout: a probe can hang before the app listens.
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.min(2000, Math.max(100, deadline - Date.now()))), redirect: 'manual' });
      await res.body?.cancel();
      if (!o.path || res.status < 500) return { ok: true, status: res.status };
      last = `GET ${o.path} answered ${res.status}`;
    } catch (e) {
      last = (e as Error).cause ? String((e as { cause: { code?: string } }).cause.code ?? e) : (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ok: false, reason: `no HTTP answer on $PORT within ${Math.round(o.timeoutMs / 1000)} s (last: ${last})` };
}
