// The deploy queue: one BullMQ queue per app, worked one job at a time, so an app's deploys run in push order.
import type { ConnectionOptions } from 'bullmq';
import { parseRedisUrl } from '../core/index.ts';
import { AppQueues } from './app-queues.ts';

export interface DeployJob {
  deployId: string;
  /** Shown in the release list for config changes and restarts. */
  description?: string;
  /** Rollback: the release to go back to. */
  targetRelease?: number;
  /** Webhook deploys: the linked GitHub repository (owner/repo) the commit is fetched from. */
  fetchFrom?: string;
  /** Image deploys: registry credentials (the job is removed once done; they are never logged). */
  registryAuth?: { username: string; password: string; serveraddress?: string };
}

export type Processor = (job: DeployJob) => Promise<void>;

export function connectionFromUrl(url: string): ConnectionOptions {
  return { ...parseRedisUrl(url), maxRetriesPerRequest: null };
}

export class DeployQueue {
  private readonly apps: AppQueues<DeployJob>;

  constructor(connection: ConnectionOptions, processor: Processor, prefix = 'minicloud') {
    this.apps = new AppQueues<DeployJob>({
      connection, prefix, processor, name: (app) => `deploy-${app}`,
      worker: {
        concurrency: 1,
        // A build keeps its lock while it runs; after a crash the job is taken up again within seconds.
        lockDuration: 15_000,
        stalledInterval: 5_000,
        maxStalledCount: 3,
        removeOnComplete: { count: 100 },
        removeOnFail: { count: 100 },
      },
    });
  }

  /** Starts a worker for the app's queue, which also picks up jobs left by an earlier process. */
  watch(app: string): Promise<void> {
    return this.apps.watch(app);
  }

  async enqueue(app: string, job: DeployJob): Promise<void> {
    await this.apps.watch(app);
    await this.apps.queue(app).add('deploy', job, { jobId: job.deployId, attempts: 1 });
  }

  /** Stops the app's worker and deletes its queue (app destroyed). */
  forget(app: string): Promise<void> {
    return this.apps.forget(app);
  }

  /** Leaves a running job to be taken up again by the next process (its lock expires). */
  close(): Promise<void> {
    return this.apps.close();
  }
}
