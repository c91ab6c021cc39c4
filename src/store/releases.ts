// Releases: each numbered build-and-config of an app that can serve, and whether it did.
import { readArtifact, wantedFormation, type Release } from '../core/index.ts';
import type { Db } from './db.ts';
import { fromJson } from './json.ts';

/** A row of `releases`. */
export interface ReleaseRow {
  app: string;
  version: number;
  status: Release['status'];
  /** JSON of an Artifact. */
  artifact: string;
  commit_sha: string | null;
  commit_author: string | null;
  commit_message: string | null;
  description: string;
  /** JSON of the config vars. */
  config: string;
  /** JSON of the instances per process type it started with; null before migration 0017. */
  formation: string | null;
  created_at: string;
}

export type NewRelease = Omit<Release, 'version' | 'createdAt' | 'status' | 'commitAuthor' | 'commitMessage' | 'formation'> & Partial<Pick<Release, 'commitAuthor' | 'commitMessage'>>;

const toRelease = (r: ReleaseRow): Release => ({
  app: r.app, version: r.version, status: r.status, artifact: readArtifact(fromJson<unknown>(r.artifact)), commit: r.commit_sha,
  commitAuthor: r.commit_author, commitMessage: r.commit_message, description: r.description,
  config: fromJson<Record<string, string>>(r.config), formation: r.formation === null ? null : fromJson<Record<string, number>>(r.formation),
  createdAt: r.created_at,
});

export class ReleasesTable {
  constructor(private readonly db: Db) {}

  /**
   * Numbers the release inside the insert's transaction so two writers never share a version; records the
   * formation it starts with (the app's, for its process types), so two releases can be compared later.
   */
  create(r: NewRelease): Release {
    const version = this.db.transaction(() => {
      const v = this.nextVersion(r.app);
      const scaled = this.db.prepare<[string], { type: string; quantity: number }>('SELECT type, quantity FROM formation WHERE app = ?').all(r.app);
      const formation = wantedFormation(r.artifact.processes, Object.fromEntries(scaled.map((f) => [f.type, f.quantity])));
      this.db.prepare(`INSERT INTO releases (app, version, status, artifact, commit_sha, commit_author, commit_message, description, config, formation, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(r.app, v, 'pending', JSON.stringify(r.artifact), r.commit, r.commitAuthor ?? null, r.commitMessage ?? null, r.description, JSON.stringify(r.config),
          JSON.stringify(formation), new Date().toISOString());
      return v;
    })();
    return this.get(r.app, version)!;
  }

  /** The version the next create of the app will get. */
  nextVersion(app: string): number {
    const max = this.db.prepare<[string], { v: number | null }>('SELECT MAX(version) AS v FROM releases WHERE app = ?').get(app);
    return (max?.v ?? 0) + 1;
  }

  setStatus(app: string, version: number, status: Release['status']): void {
    this.db.prepare('UPDATE releases SET status = ? WHERE app = ? AND version = ?').run(status, app, version);
  }

  get(app: string, version: number): Release | null {
    const r = this.db.prepare<[string, number], ReleaseRow>('SELECT * FROM releases WHERE app = ? AND version = ?').get(app, version);
    return r ? toRelease(r) : null;
  }

  /** The app's releases, newest first. */
  list(app: string): Release[] {
    return this.db.prepare<[string], ReleaseRow>('SELECT * FROM releases WHERE app = ? ORDER BY version DESC').all(app).map(toRelease);
  }

  /** Sets `vars` in the config of each of the app's releases (a restore points old releases at this server's add-ons). */
  setInEveryConfig(app: string, vars: Record<string, string>): void {
    const set = this.db.prepare('UPDATE releases SET config = ? WHERE app = ? AND version = ?');
    for (const rel of this.list(app)) set.run(JSON.stringify({ ...rel.config, ...vars }), app, rel.version);
  }

  /** The release the app serves, or null before its first. */
  current(app: string): Release | null {
    const r = this.db.prepare<[string], ReleaseRow>(
      'SELECT releases.* FROM releases JOIN apps ON apps.name = releases.app AND apps.current_release = releases.version WHERE apps.name = ?').get(app);
    return r ? toRelease(r) : null;
  }
}
