// Idle apps go to sleep (their instances stop); the router's next request for one wakes it.
import { traced, type Logger } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import type { Formation } from './formation.ts';

export class Sleeper {
  private readonly lastRequest = new Map<string, number>();
  private readonly waking = new Map<string, Promise<void>>();
  private readonly bootedAt = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly store: Store, private readonly formation: Formation, checkMs = 15_000, private readonly log?: Logger) {
    this.timer = setInterval(() => void this.tick(), checkMs);
    this.timer.unref();
  }

  /** Called by the router for every request: cheap on purpose. */
  touch(app: string): void {
    this.lastRequest.set(app, Date.now());
  }

  async tick(now = Date.now()): Promise<void> {
    for (const app of this.store.apps.list()) {
      if (app.state !== 'running' || !app.sleepAfterSeconds || !app.currentRelease || this.waking.has(app.name)) continue;
      const last = Math.max(this.lastRequest.get(app.name) ?? this.bootedAt, Date.parse(app.createdAt));
      if (now - last >= app.sleepAfterSeconds * 1000) await this.sleep(app.name);
    }
  }

  async sleep(app: string): Promise<void> {
    this.store.apps.setState(app, 'sleeping');
    await this.formation.stopApp(app);
    await this.formation.prewarm(app);
    this.formation.emit('slept', app);
  }

  /** Idempotent: concurrent wakes of one app share one start. */
  wake(app: string): Promise<void> {
    const pending = this.waking.get(app);
    if (pending) return pending;
    const a = this.store.apps.get(app);
    const release = a?.state === 'sleeping' ? this.store.releases.current(app) : null;
    if (!release) return Promise.resolve();
    const p = (async () => {
      this.store.apps.setState(app, 'running');
      this.touch(app);
      try {
        // MINICLOUD_LOG_LEVEL=debug: where the wake's time went (spawned, accepts, answered, routed).
        await traced(this.log, `wake ${app}`, () => this.formation.rollout(release, () => {}));
        this.formation.emit('woke', app);
      } catch (e) {
        this.store.apps.setState(app, 'sleeping');
        this.formation.emit('changed', app);
        this.formation.emit('error', e);
      }
    })().finally(() => this.waking.delete(app));
    this.waking.set(app, p);
    return p;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
