// Starting a release's instances in the order its health checks allow: web and the types others wait for answer
// first (a Compose file's `depends_on: service_healthy`), then those that wait; any failure stops them all.
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError, type Release } from '../core/index.ts';
import { waitHealthy } from '../health/index.ts';
import type { StoredInstance } from '../store/index.ts';
import type { Instances } from './instances.ts';
import { healthPath, startTimeout } from './supervisor.ts';

/** Process type → the types that must pass their health checks before it starts (old releases' `afterWeb`: web). */
export function waitsOf(release: Release): Record<string, string[]> {
  const m = release.artifact.manifest;
  const waits: Record<string, string[]> = { ...m?.waitFor };
  for (const t of m?.afterWeb ?? []) waits[t] = [...new Set([...(waits[t] ?? []), 'web'])];
  return waits;
}

/**
 * Launches the instances in waves: those waiting for nothing (among the types being started) first; each wave's web
 * instances answer their HTTP probe and the types a later wave waits for pass their engine-run check before the next.
 */
export async function startGated(instances: Instances, release: Release, types: string[], startTimeoutMs: number, log: (line: string) => void): Promise<StoredInstance[]> {
  const started: StoredInstance[] = [];
  const waits = waitsOf(release);
  const starting = new Set(types);
  // A type not being started (a scale of another) runs already: waiting for it is met.
  const blockers = (t: string) => (waits[t] ?? []).filter((d) => starting.has(d) && d !== t);
  const healthy = new Set<string>();
  let pending = [...types];
  try {
    while (pending.length) {
      const wave = pending.filter((t) => blockers(t).every((d) => healthy.has(d)));
      if (!wave.length) throw new Error(`v${release.version}: ${[...new Set(pending)].join(', ')} wait for each other`);
      if (healthy.size) {
        const met = [...new Set(wave.flatMap(blockers))];
        log(`       Starting ${[...new Set(wave)].join(', ')} now that ${met.join(' and ')} ${met.length > 1 ? 'answer' : 'answers'}`);
      }
      pending = pending.filter((t) => !wave.includes(t));
      const mine: StoredInstance[] = [];
      for (const type of wave) {
        const inst = await instances.launch(release, type, instances.nextId(release, type));
        instances.gate(inst.id);
        started.push(inst);
        mine.push(inst);
      }
      await webAnswers(instances, release, mine.filter((i) => i.type === 'web'), startTimeoutMs, log);
      const needed = new Set(pending.flatMap(blockers));
      await checksPass(instances, release, mine.filter((i) => i.type !== 'web' && needed.has(i.type)), startTimeoutMs, log);
      for (const t of wave) healthy.add(t);
    }
    const died = started.find((i) => instances.store.instances.get(i.id)?.state !== 'starting');
    if (died) throw new UserError(`v${release.version} did not start: its ${died.type} process exited`, `see its output with \`minicloud logs ${release.app}\``);
    return started;
  } catch (e) {
    await Promise.all(started.map((i) => instances.stop(i)));
    throw e;
  } finally {
    for (const i of started) instances.ungate(i.id);
  }
}

async function webAnswers(instances: Instances, release: Release, web: StoredInstance[], fallbackMs: number, log: (line: string) => void): Promise<void> {
  if (!web.length) return;
  const timeoutMs = startTimeout(release, fallbackMs);
  log(`       Waiting for ${web.length} web instance(s) to answer${healthPath(release) ? ` ${healthPath(release)}` : ''} (up to ${Math.round(timeoutMs / 1000)} s)`);
  const results = await Promise.all(web.map((inst) => waitHealthy({
    host: inst.host, port: inst.port, path: healthPath(release), timeoutMs,
    gone: () => instances.store.instances.get(inst.id)?.state !== 'starting',
  })));
  const bad = results.find((r) => !r.ok);
  if (bad && !bad.ok) throw new UserError(`v${release.version} did not start: ${bad.reason}`, `see its output with \`minicloud logs ${release.app}\``);
}

/** Instances whose types others wait for: their Compose `healthcheck:`, as the engine runs it, must pass. */
async function checksPass(instances: Instances, release: Release, list: StoredInstance[], fallbackMs: number, log: (line: string) => void): Promise<void> {
  const { runtime, store } = instances;
  for (const inst of list) {
    const hc = release.artifact.manifest?.checks?.[inst.type];
    if (!hc || !runtime.health) throw new UserError(`v${release.version}: ${inst.type} has no health check this runtime can run`, 'give the service a healthcheck, and run minicloud with a Docker engine');
    // The engine's own schedule: the start period, then up to `retries` tries an interval apart; the server's start timeout at least.
    const timeoutMs = Math.max(fallbackMs, ((hc.startPeriodSeconds ?? 0) + (hc.retries ?? 3) * ((hc.intervalSeconds ?? 5) + (hc.timeoutSeconds ?? 30)) + 10) * 1000);
    log(`       Waiting for ${inst.type} to pass its health check (${hc.test.slice(1).join(' ')}; up to ${Math.round(timeoutMs / 1000)} s)`);
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (store.instances.get(inst.id)?.state !== 'starting') throw new UserError(`v${release.version} did not start: its ${inst.type} process exited`, `see its output with \`minicloud logs ${release.app}\``);
      const h = inst.handle ? await runtime.health(inst.handle) : null;
      if (h === 'healthy') break;
      if (h === 'unhealthy') throw new UserError(`v${release.version} did not start: ${inst.type} failed its health check (${hc.test.slice(1).join(' ')})`, `see its output with \`minicloud logs ${release.app}\``);
      if (Date.now() > until) throw new UserError(`v${release.version} did not start: ${inst.type} did not pass its health check within ${Math.round(timeoutMs / 1000)} s`, `see its output with \`minicloud logs ${release.app}\``);
      await sleep(500);
    }
  }
}
