// What minicloud does with an app's processes, apart from HTTP: scale, stop, start, sleep, roll back, run one-off commands.
import { randomUUID } from 'node:crypto';
import { UserError, type App, type Deploy, type Formation as FormationCounts } from '../core/index.ts';
import type { Formation } from './formation.ts';
import type { Sleeper } from './sleeper.ts';
import type { ConsoleOptions, InstanceSpec, Runtime } from '../runtime/index.ts';
import type { Store } from '../store/index.ts';

export interface ProcessDeps {
  store: Store;
  formation: Formation;
  sleeper: Sleeper;
  runtime: Runtime;
  /** The deploys a start or rollback makes (the apps service): queued behind any build of the app, waited for. */
  service: { runAndWait(app: string, kind: 'restart' | 'rollback', description?: string, targetRelease?: number): Promise<Deploy> };
}

export interface SleepInput {
  /** Seconds without requests before the app sleeps; null: never; undefined: unchanged (with `now`). */
  afterSeconds?: number | null;
  /** Put it to sleep at once (its next request wakes it). */
  now: boolean;
}

const MIN_SLEEP = 60;
const MAX_SLEEP = 7 * 24 * 3600;

export class ProcessService {
  constructor(private readonly d: ProcessDeps) {}

  formation(app: string): FormationCounts {
    const release = this.d.store.releases.current(this.d.store.apps.require(app).name);
    return release ? this.d.formation.wanted(release) : this.d.store.formation.get(app);
  }

  async scale(app: string, counts: Record<string, number>): Promise<FormationCounts> {
    return this.d.formation.scale(app, counts);
  }

  async stop(name: string): Promise<App> {
    const app = this.d.store.apps.require(name);
    this.d.store.apps.setState(app.name, 'stopped');
    await this.d.formation.stopApp(app.name);
    return this.d.store.apps.require(app.name);
  }

  async start(name: string): Promise<Deploy | null> {
    const app = this.d.store.apps.require(name);
    this.d.store.apps.setState(app.name, 'running');
    if (!app.currentRelease) return null;
    return this.d.service.runAndWait(app.name, 'restart');
  }

  /** Sets when the app sleeps; `now` also puts it to sleep at once (its next request wakes it). */
  async setSleep(name: string, { afterSeconds: after, now }: SleepInput): Promise<App> {
    const app = this.d.store.apps.require(name);
    if (now) {
      if (app.state !== 'running' || !app.currentRelease) throw new UserError(`${app.name} is ${app.currentRelease ? app.state : 'not deployed'}; only a running app can go to sleep`);
      if (after !== undefined) this.checkSleep(app.name, after);
      await this.d.sleeper.sleep(app.name);
      return this.d.store.apps.require(app.name);
    }
    this.checkSleep(app.name, after);
    return this.d.store.apps.require(app.name);
  }

  private checkSleep(app: string, after: number | null | undefined): void {
    if (after !== null && (after === undefined || !Number.isInteger(after) || after < MIN_SLEEP || after > MAX_SLEEP)) {
      throw new UserError(`afterSeconds must be null (never sleep) or whole seconds from ${MIN_SLEEP} to ${MAX_SLEEP}`, `e.g. \`minicloud apps:sleep ${app} 15m\``);
    }
    this.d.store.apps.setSleepAfter(app, after);
  }

  /** Back to `version`, or to the release before the current one. */
  async rollback(name: string, version: number | undefined): Promise<Deploy> {
    const app = this.d.store.apps.require(name);
    if (!app.currentRelease) throw new UserError(`${app.name} has no release yet`, 'deploy it first with `git push minicloud main`');
    return this.d.service.runAndWait(app.name, 'rollback', undefined, version);
  }

  /** Runs a command in a new instance of the current release; resolves with its exit code. */
  async run(name: string, command: string, onLine: (line: string) => void, signal: AbortSignal): Promise<number> {
    return this.d.runtime.run(this.oneOff(name, command), onLine, signal);
  }

  /** The same, under a pseudo-terminal (`minicloud run` from a terminal): see Runtime.console. */
  async console(name: string, command: string, o: ConsoleOptions): Promise<number> {
    const spec = this.oneOff(name, command);
    const runtime = this.d.runtime;
    if (!runtime.console) {
      throw new UserError(`the ${runtime.name} runtime has no interactive console`, `run the command without a terminal: \`minicloud run --no-tty ${name} -- ${command}\``, 409);
    }
    return runtime.console(spec, o);
  }

  private oneOff(name: string, command: string): InstanceSpec {
    const app = this.d.store.apps.require(name);
    const release = this.d.store.releases.current(app.name);
    if (!release) throw new UserError(`${app.name} has no release yet`, 'deploy it first with `git push minicloud main`');
    return {
      id: randomUUID(), app: app.name, release: release.version, type: 'run', command, artifact: release.artifact, env: release.config,
      volumes: this.d.formation.volumes(app.name), ...this.d.formation.limits(app.name),
    };
  }
}
