// The database's unfinished deploys against the jobs Redis holds: a deploy whose job Redis lost (it came back empty) is queued again, or failed when it cannot be.
import type { Deploy, Logger } from '../core/index.ts';
import type { DeployLog } from '../log/index.ts';
import type { Store, StoredJob } from '../store/index.ts';
import type { DeployQueue } from '../queue/index.ts';

export interface ReconcileDeps {
  store: Store;
  queue: DeployQueue;
  log: Pick<DeployLog, 'append' | 'end'>;
  /** Deploys this process runs right now: their job may be gone from Redis, the work is not. */
  running: () => ReadonlySet<string>;
  /** Is the pushed source of a build still on disk (it goes once the deploy ends)? */
  hasSource: (deployId: string) => boolean;
  /** The operator's log: deploys requeued or failed, checks that could not run. */
  logger: Logger;
}

/** Job states in which BullMQ still runs the job (an active one whose process died is taken up again by BullMQ itself). */
const IN_QUEUE = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);
/** A deploy this young may be between its record and its job. */
const MIN_AGE_MS = 10_000;

export class QueueReconciler {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(private readonly d: ReconcileDeps, private readonly intervalMs = 15_000, private readonly minAgeMs = MIN_AGE_MS) {}

  /** A pass every interval, and one each time Redis answers again. */
  start(): void {
    this.timer = setInterval(() => void this.pass(), this.intervalMs);
    this.timer.unref();
    this.d.queue.redis.on('back', this.onBack);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.d.queue.redis.off('back', this.onBack);
  }

  private readonly onBack = () => void this.pass();

  /** Returns how many lost deploys it dealt with. */
  async pass(): Promise<number> {
    if (this.busy || !this.d.queue.redis.available) return 0;
    this.busy = true;
    let n = 0;
    try {
      for (const deploy of this.d.store.deployJobs.unfinished()) {
        if (Date.now() - Date.parse(deploy.createdAt) < this.minAgeMs || this.d.running().has(deploy.id)) continue;
        const state = await this.d.queue.jobState(deploy.app, deploy.id);
        if (IN_QUEUE.has(state)) continue;
        await this.recover(deploy, state);
        n++;
      }
    } catch (e) {
      this.d.logger.warn(`queue check: ${(e as Error).message}; trying again in ${Math.round(this.intervalMs / 1000)} s`);
    } finally {
      this.busy = false;
    }
    return n;
  }

  private async recover(deploy: Deploy, state: string): Promise<void> {
    const { store, log } = this.d;
    const job = store.deployJobs.get(deploy.id);
    // A job BullMQ failed threw inside minicloud: running it again would fail again, every pass.
    const why = state === 'failed' ? 'the deploy job failed inside minicloud; see its server log, and push again' : this.cannotRequeue(deploy, job);
    if (why) {
      log.append(deploy.id, ` !     ${state === 'failed' ? why : `minicloud's job queue (Redis) lost this deploy: ${why}`}`);
      log.end(store.deploys.update(deploy.id, { status: 'failed', error: why }));
      this.d.logger.warn(`${deploy.app}: deploy ${deploy.id} failed: ${why}`);
      return;
    }
    log.append(deploy.id, "-----> minicloud's job queue (Redis) lost this deploy; it is queued again");
    const { configChanges: _secretsStayHere, attachAddon: _inTheDatabase, registryAuth: _none, ...rest } = job;
    await this.d.queue.enqueue(deploy.app, { deployId: deploy.id, ...rest });
    this.d.logger.info(`${deploy.app}: deploy ${deploy.id} was lost from the queue; queued again`);
  }

  /** Null when the job can be made again from the database; else the reason the deploy fails with. */
  private cannotRequeue(deploy: Deploy, job: StoredJob): string | null {
    if (deploy.kind === 'image') return job.registryAuth ? 'the queue was lost, deploy the image again' : null;
    if (deploy.kind !== 'build') return null;
    if (this.d.store.deploys.latest(deploy.app, 'build')?.id !== deploy.id) return 'the queue was lost and a later push replaces this one';
    return job.fetchFrom || this.d.hasSource(deploy.id) ? null : 'the queue was lost, push again';
  }
}
