// Running a due cron entry: a one-off instance of the app's current release, its output in the app's log.
import { randomUUID } from 'node:crypto';
import { NotFoundError, UserError, type CronStatus, type Release } from '../core/index.ts';
import type { Runtime } from '../runtime/index.ts';
import type { Store } from '../store/index.ts';

export interface CronEntry {
  schedule: string;
  command: string;
}

export interface CronRunnerDeps {
  store: Store;
  runtime: Pick<Runtime, 'run'>;
  /** Appends one line to the app's log (what `minicloud logs` shows). */
  appendLog: (app: string, line: string) => void;
  /** The app's storage volumes, mounted in the run like in its other instances. */
  volumes?: (app: string) => Array<{ path: string; hostDir: string }>;
  /** The app's limits (resources:set), as its other instances get them. */
  limits?: (app: string) => { memoryMb?: number; cpu?: number; pids?: number };
  /** A run still going after this long is killed; default one day. */
  timeoutMs?: number;
}

/** The cron entries of a release's manifest. */
export const cronEntries = (release: Release | null): CronEntry[] => release?.artifact.manifest?.cron ?? [];

/** Each entry of the app's current release with its latest run (`GET /api/apps/:app/cron`). */
export function cronStatus(store: Store, app: string): CronStatus[] {
  return cronEntries(store.releases.current(app)).map((e) => {
    const last = store.cronRuns.last(app, e.schedule, e.command);
    return { schedule: e.schedule, command: e.command, lastRun: last ? { startedAt: last.startedAt, finishedAt: last.finishedAt, exitCode: last.exitCode } : null };
  });
}

export const cronLabel = (e: CronEntry) => `cron[${e.schedule} ${e.command}]`;

export class CronRunner {
  private readonly running = new Map<string, AbortController>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly d: CronRunnerDeps) {}

  /** Runs one due entry, unless the app is stopped or gone, the entry left the manifest, or it is still running. */
  async run(job: CronEntry & { app: string }): Promise<void> {
    if (this.closed) return;
    const { store } = this.d;
    const app = store.apps.get(job.app);
    if (!app || app.state === 'stopped') return;
    const release = store.releases.current(app.name);
    if (!release || !cronEntries(release).some((e) => e.schedule === job.schedule && e.command === job.command)) return;
    const label = cronLabel(job);
    const say = (line: string) => this.d.appendLog(app.name, `${label}: ${line}`);
    const key = `${app.name}\n${job.schedule}\n${job.command}`;
    if (this.running.has(key)) {
      say('still running from its previous start; this run is skipped');
      return;
    }
    const abort = new AbortController();
    this.running.set(key, abort);
    const done = this.execute(release, job, say, abort.signal).finally(() => this.running.delete(key));
    this.inFlight.add(done);
    try {
      await done;
    } finally {
      this.inFlight.delete(done);
    }
  }

  /**
   * "Run now" (dashboard, `POST /api/apps/:app/cron/run`): one entry of the current release, started at once; answers
   * when its run is recorded (not when it ends). Refuses what the schedule would skip, saying why.
   */
  runNow(job: CronEntry & { app: string }): { startedAt: string } {
    const { store } = this.d;
    const app = store.apps.require(job.app);
    if (app.state === 'stopped') throw new UserError(`${app.name} is stopped; its cron entries do not run`, `start it first: \`minicloud apps:start ${app.name}\``, 409);
    if (!cronEntries(store.releases.current(app.name)).some((e) => e.schedule === job.schedule && e.command === job.command)) {
      throw new NotFoundError(`${app.name}'s current release has no cron entry "${job.schedule} ${job.command}"`, `see its entries: GET /api/apps/${app.name}/cron`);
    }
    if (this.running.has(`${app.name}\n${job.schedule}\n${job.command}`)) throw new UserError(`"${job.command}" is still running from its previous start`, 'wait for it to end', 409);
    if (this.closed) throw new UserError('minicloud is stopping', 'try again once it is back', 503);
    void this.run({ app: app.name, schedule: job.schedule, command: job.command });
    // run() records the start before its first await.
    return { startedAt: store.cronRuns.last(app.name, job.schedule, job.command)?.startedAt ?? new Date().toISOString() };
  }

  private async execute(release: Release, job: CronEntry & { app: string }, say: (l: string) => void, signal: AbortSignal): Promise<void> {
    const id = randomUUID();
    this.d.store.cronRuns.start({ id, app: job.app, schedule: job.schedule, command: job.command, release: release.version });
    say(`starting (v${release.version})`);
    const inner = new AbortController();
    const abortAll = () => inner.abort();
    const timeoutMs = this.d.timeoutMs ?? 24 * 3600_000;
    const timer = setTimeout(() => { say(`timed out after ${Math.round(timeoutMs / 1000)} s; killing it`); abortAll(); }, timeoutMs);
    signal.addEventListener('abort', abortAll, { once: true });
    let code: number;
    try {
      code = await this.d.runtime.run({
        id, app: job.app, release: release.version, type: 'cron', command: job.command, artifact: release.artifact,
        env: release.config, volumes: this.d.volumes?.(job.app), ...this.d.limits?.(job.app),
      }, say, inner.signal);
    } catch (e) {
      say(`could not start: ${(e as Error).message}`);
      code = 127;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', abortAll);
    }
    this.d.store.cronRuns.finish(id, code);
    say(code === 0 ? 'exited with code 0' : `failed: exited with code ${code}`);
  }

  /** minicloud is stopping: ends the runs in progress (recorded as killed) and waits for them. */
  async close(): Promise<void> {
    this.closed = true;
    for (const a of this.running.values()) a.abort();
    await Promise.allSettled([...this.inFlight]);
  }
}
