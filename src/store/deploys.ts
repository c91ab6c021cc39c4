// Deploys: each trip of an app through the pipeline (a push, a config change, a restart), and how it ended.
import { randomUUID } from 'node:crypto';
import type { Deploy, DeployJob } from '../core/index.ts';
import type { Db } from './db.ts';

/** A row of `deploys` (`job` and `pusher_told`: deploy-jobs.ts). */
export interface DeployRow {
  id: string;
  app: string;
  kind: Deploy['kind'];
  status: Deploy['status'];
  ref: string | null;
  commit_sha: string | null;
  commit_author: string | null;
  commit_message: string | null;
  release: number | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

/** A deploy's job as the database keeps it: everything but secrets (registry credentials stay in the queue only). */
export interface StoredJob extends Pick<DeployJob, 'description' | 'targetRelease' | 'fetchFrom' | 'runAs'> {
  /** A config change: applied to the release, and kept as the app's config only once that release is up. */
  configChanges?: Record<string, string | null>;
  /** An add-on attach (its config vars are the config change): the add-on is dropped again when this release fails. */
  attachAddon?: string;
  /** Image deploys with registry credentials: those live in the queue only, so the job cannot be rebuilt from here. */
  registryAuth?: boolean;
}

export type NewDeploy = Pick<Deploy, 'app' | 'kind'> & Partial<Pick<Deploy, 'ref' | 'commit' | 'commitAuthor' | 'commitMessage'>>;

export const toDeploy = (r: DeployRow): Deploy => ({
  id: r.id, app: r.app, kind: r.kind, status: r.status, ref: r.ref, commit: r.commit_sha, commitAuthor: r.commit_author,
  commitMessage: r.commit_message, release: r.release, error: r.error, createdAt: r.created_at, finishedAt: r.finished_at,
});

export class DeploysTable {
  constructor(private readonly db: Db) {}

  create(d: NewDeploy, job: StoredJob = {}): Deploy {
    const id = randomUUID();
    this.db.prepare('INSERT INTO deploys (id, app, kind, status, ref, commit_sha, commit_author, commit_message, created_at, job) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, d.app, d.kind, 'queued', d.ref ?? null, d.commit ?? null, d.commitAuthor ?? null, d.commitMessage ?? null, new Date().toISOString(), JSON.stringify(job));
    return this.get(id)!;
  }

  update(id: string, patch: Partial<Pick<Deploy, 'status' | 'release' | 'error'>>): Deploy {
    const d = this.get(id);
    if (!d) throw new Error(`deploy ${id} vanished`);
    const next = { ...d, ...patch };
    const done = next.status === 'succeeded' || next.status === 'failed';
    this.db.prepare('UPDATE deploys SET status = ?, release = ?, error = ?, finished_at = ? WHERE id = ?')
      .run(next.status, next.release, next.error, done ? (d.finishedAt ?? new Date().toISOString()) : null, id);
    return this.get(id)!;
  }

  get(id: string): Deploy | null {
    const r = this.db.prepare<[string], DeployRow>('SELECT * FROM deploys WHERE id = ?').get(id);
    return r ? toDeploy(r) : null;
  }

  /** The app's latest deploys, newest first. */
  list(app: string, limit = 50): Deploy[] {
    return this.db.prepare<[string, number], DeployRow>('SELECT * FROM deploys WHERE app = ? ORDER BY created_at DESC, rowid DESC LIMIT ?').all(app, limit).map(toDeploy);
  }

  /** The app's latest deploy (of one kind). */
  latest(app: string, kind?: Deploy['kind']): Deploy | null {
    const r = kind
      ? this.db.prepare<[string, string], DeployRow>('SELECT * FROM deploys WHERE app = ? AND kind = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').get(app, kind)
      : this.db.prepare<[string], DeployRow>('SELECT * FROM deploys WHERE app = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').get(app);
    return r ? toDeploy(r) : null;
  }
}
