// Opening the one durable database file and bringing its schema up to date.
import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

/** One step of the schema. `name` starts with the schema version it leads to (user_version after it ran). */
export interface Migration { name: string; sql: string }

// Append-only: each entry runs once, in order; user_version records how many ran (the schema version).
export const MIGRATIONS: readonly Migration[] = [
  { name: '0001-initial', sql: `CREATE TABLE apps (
     name TEXT PRIMARY KEY,
     deploy_branch TEXT NOT NULL DEFAULT 'main',
     created_at TEXT NOT NULL,
     current_release INTEGER,
     state TEXT NOT NULL DEFAULT 'running'
   );
   CREATE TABLE config_vars (
     app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
     key TEXT NOT NULL,
     value TEXT NOT NULL,
     PRIMARY KEY (app, key)
   );
   CREATE TABLE releases (
     app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
     version INTEGER NOT NULL,
     status TEXT NOT NULL,
     artifact TEXT NOT NULL,
     commit_sha TEXT,
     description TEXT NOT NULL,
     config TEXT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (app, version)
   );
   CREATE TABLE deploys (
     id TEXT PRIMARY KEY,
     app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
     kind TEXT NOT NULL,
     status TEXT NOT NULL,
     ref TEXT,
     commit_sha TEXT,
     release INTEGER,
     error TEXT,
     created_at TEXT NOT NULL,
     finished_at TEXT
   );
   CREATE INDEX deploys_app ON deploys(app, created_at);
   CREATE TABLE deploy_logs (
     deploy_id TEXT NOT NULL REFERENCES deploys(id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     time TEXT NOT NULL,
     text TEXT NOT NULL,
     PRIMARY KEY (deploy_id, seq)
   );
   CREATE TABLE instances (
     id TEXT PRIMARY KEY,
     app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
     release INTEGER NOT NULL,
     type TEXT NOT NULL,
     host TEXT NOT NULL,
     port INTEGER NOT NULL,
     pid INTEGER,
     handle TEXT,
     state TEXT NOT NULL,
     started_at TEXT NOT NULL,
     restarts INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE tokens (
     hash TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     created_at TEXT NOT NULL
   );` },
  { name: '0002-formation-and-sleep', sql: `ALTER TABLE apps ADD COLUMN sleep_after INTEGER;
   ALTER TABLE instances ADD COLUMN next_restart_at TEXT;
   CREATE TABLE formation (
     app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
     type TEXT NOT NULL,
     quantity INTEGER NOT NULL,
     PRIMARY KEY (app, type)
   );` },
  { name: '0003-github-links', sql: `ALTER TABLE deploys ADD COLUMN commit_author TEXT;
   ALTER TABLE deploys ADD COLUMN commit_message TEXT;
   ALTER TABLE releases ADD COLUMN commit_author TEXT;
   ALTER TABLE releases ADD COLUMN commit_message TEXT;
   CREATE TABLE github_links (
     app TEXT PRIMARY KEY REFERENCES apps(name) ON DELETE CASCADE,
     repo TEXT NOT NULL,
     branch TEXT NOT NULL,
     secret TEXT NOT NULL,
     token TEXT,
     created_at TEXT NOT NULL
   );
   CREATE INDEX github_links_repo ON github_links(repo);
   CREATE TABLE webhook_deliveries (
     id TEXT PRIMARY KEY,
     received_at TEXT NOT NULL
   );` },
  { name: '0004-addons', sql: `CREATE TABLE addons (
     app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     credentials TEXT NOT NULL,
     env_keys TEXT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (app, kind)
   );` },
  { name: '0005-domains-volumes-cron', sql: `CREATE TABLE domains (
     domain TEXT PRIMARY KEY,
     app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
     created_at TEXT NOT NULL
   );
   CREATE INDEX domains_app ON domains(app);
   CREATE TABLE volumes (
     app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
     path TEXT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (app, path)
   );
   CREATE TABLE cron_runs (
     id TEXT PRIMARY KEY,
     app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
     schedule TEXT NOT NULL,
     command TEXT NOT NULL,
     release INTEGER,
     started_at TEXT NOT NULL,
     finished_at TEXT,
     exit_code INTEGER
   );
   CREATE INDEX cron_runs_app ON cron_runs(app, started_at);` },
  { name: '0006-backups', sql: `CREATE TABLE backups (
     id TEXT PRIMARY KEY,
     app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
     created_at TEXT NOT NULL,
     finished_at TEXT,
     status TEXT NOT NULL,
     size INTEGER NOT NULL DEFAULT 0,
     dir TEXT NOT NULL,
     parts TEXT NOT NULL DEFAULT '[]',
     notes TEXT NOT NULL DEFAULT '[]',
     error TEXT,
     trigger TEXT NOT NULL DEFAULT 'manual'
   );
   CREATE INDEX backups_app ON backups(app, created_at);
   CREATE TABLE backup_schedules (
     app TEXT PRIMARY KEY REFERENCES apps(name) ON DELETE CASCADE,
     frequency TEXT NOT NULL,
     keep INTEGER NOT NULL,
     last_run_at TEXT,
     updated_at TEXT NOT NULL
   );` },
  { name: '0007-memory', sql: `ALTER TABLE apps ADD COLUMN memory_mb INTEGER;` },
  // Per-app router settings (router:set): upstream idle timeout in seconds (null: the default), https-only.
  { name: '0008-router-settings', sql: `ALTER TABLE apps ADD COLUMN router_timeout INTEGER;
   ALTER TABLE apps ADD COLUMN https_only INTEGER NOT NULL DEFAULT 0;` },
  { name: '0009-sessions', sql: `CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, csrf TEXT NOT NULL, expires_at INTEGER NOT NULL);` },
  // router:set <app> max-body: the request body limit in bytes (null: the default, 0: none).
  { name: '0010-router-max-body', sql: `ALTER TABLE apps ADD COLUMN router_max_body INTEGER;` },
  // Scoped tokens (access): the old table kept every token ever configured, so a rotated one still worked.
  // Sessions now say whose they are; the old ones, made before roles existed, are ended.
  { name: '0011-scoped-tokens', sql: `DROP TABLE tokens;
   CREATE TABLE tokens (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     hash TEXT NOT NULL UNIQUE,
     role TEXT NOT NULL,
     apps TEXT,
     user_email TEXT,
     created_at TEXT NOT NULL,
     last_used_at TEXT
   );
   DELETE FROM sessions;
   ALTER TABLE sessions ADD COLUMN principal TEXT NOT NULL DEFAULT '';
   ALTER TABLE sessions ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE sessions ADD COLUMN address TEXT NOT NULL DEFAULT '';` },
  // The audit log (api/access): not tied to apps, so it outlives the apps it mentions.
  { name: '0012-audit', sql: `CREATE TABLE audit (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     app TEXT,
     detail TEXT NOT NULL,
     address TEXT NOT NULL,
     status INTEGER
   );
   CREATE INDEX audit_app ON audit(app, id);` },
  // A deploy's job beside it (JSON, no secrets), so a queue that lost it can be refilled; pushes: was the pusher told the outcome.
  { name: '0013-deploy-jobs', sql: `ALTER TABLE deploys ADD COLUMN job TEXT;
   ALTER TABLE deploys ADD COLUMN pusher_told INTEGER;` },
  // resources:set beside memory: a CPU quota (CPUs) and a process limit; null: the server's defaults.
  { name: '0014-cpu-and-pids', sql: `ALTER TABLE apps ADD COLUMN cpu REAL;
   ALTER TABLE apps ADD COLUMN pids INTEGER;` },
  // People (users:add): sessions of a person are `user:<email>`, their own tokens have user_email set.
  { name: '0015-users', sql: `CREATE TABLE users (
     email TEXT PRIMARY KEY,
     role TEXT NOT NULL,
     apps TEXT,
     password_hash TEXT NOT NULL,
     created_at TEXT NOT NULL
   );` },
  // Alerts (alerts/): where they go (a server's channels have no app), the incidents open now (one message each, then
  // one when resolved, across restarts), and what was sent where and how it went.
  { name: '0016-alerts', sql: `CREATE TABLE alert_channels (
     id TEXT PRIMARY KEY,
     app TEXT REFERENCES apps(name) ON DELETE CASCADE,
     kind TEXT NOT NULL,
     target TEXT NOT NULL,
     format TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE TABLE alert_incidents (
     key TEXT PRIMARY KEY,
     app TEXT REFERENCES apps(name) ON DELETE CASCADE,
     kind TEXT NOT NULL,
     title TEXT NOT NULL,
     opened_at TEXT NOT NULL
   );
   CREATE TABLE alert_history (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     app TEXT REFERENCES apps(name) ON DELETE CASCADE,
     kind TEXT NOT NULL,
     state TEXT NOT NULL,
     title TEXT NOT NULL,
     channel TEXT,
     delivery TEXT NOT NULL,
     error TEXT
   );
   CREATE INDEX alert_history_app ON alert_history(app, id);` },
  // releases:diff: the formation each release started with (JSON); older releases have none.
  { name: '0017-release-formation', sql: 'ALTER TABLE releases ADD COLUMN formation TEXT;' },
  // How an instance last ended on its own (JSON: cause out of memory, unhealthy or exited, code, time), for `ps`.
  { name: '0018-instance-last-exit', sql: `ALTER TABLE instances ADD COLUMN last_exit TEXT;` },
  // An alert channel an admin added may point at this host or its private network; an app member's only at public addresses.
  { name: '0019-alert-private-targets', sql: 'ALTER TABLE alert_channels ADD COLUMN private_ok INTEGER NOT NULL DEFAULT 0;' },
  // Previews (previews:enable): which branches get a preview app, and the previews made (each row goes with its app).
  { name: '0020-previews', sql: `CREATE TABLE preview_settings (
     app TEXT PRIMARY KEY REFERENCES apps(name) ON DELETE CASCADE,
     branches TEXT NOT NULL,
     expire_seconds INTEGER,
     created_at TEXT NOT NULL
   );
   CREATE TABLE previews (
     app TEXT PRIMARY KEY REFERENCES apps(name) ON DELETE CASCADE,
     parent TEXT NOT NULL,
     branch TEXT NOT NULL,
     created_at TEXT NOT NULL,
     pushed_at TEXT NOT NULL,
     UNIQUE (parent, branch)
   );` },
  // config:set --preview: config vars only previews get (JSON), over the parent's.
  { name: '0021-preview-config', sql: "ALTER TABLE preview_settings ADD COLUMN config TEXT NOT NULL DEFAULT '{}';" },
  // maintenance:on: the router answers the app's visitors with a 503 page while its instances and one-offs run on.
  { name: '0022-maintenance', sql: 'ALTER TABLE apps ADD COLUMN maintenance INTEGER NOT NULL DEFAULT 0;' },
  // Metrics history (metrics/history.ts): per app, a row per minute for a day, then per 10 minutes (span) to a week.
  { name: '0023-metric-points', sql: `CREATE TABLE metric_points (
     app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
     span INTEGER NOT NULL,
     t INTEGER NOT NULL,
     requests INTEGER NOT NULL,
     errors INTEGER NOT NULL,
     s1xx INTEGER NOT NULL, s2xx INTEGER NOT NULL, s3xx INTEGER NOT NULL, s4xx INTEGER NOT NULL, s5xx INTEGER NOT NULL,
     p50 REAL, p95 REAL, p99 REAL, cpu REAL, memory_mb REAL,
     PRIMARY KEY (app, t, span)
   ) WITHOUT ROWID;
   CREATE INDEX metric_points_span ON metric_points(span, t);` },
  // An app installed from the catalog: its entry, and each image it was released from with that image's version (JSON).
  { name: '0024-catalog', sql: 'ALTER TABLE apps ADD COLUMN catalog TEXT;' },
  // An instance's number among its release's instances of its type (`web.1`), the name its log lines carry.
  { name: '0025-instance-number', sql: 'ALTER TABLE instances ADD COLUMN num INTEGER;' },
];

/** The schema this code writes: a server archive records it, and a restore refuses a newer one. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** `upTo`: the schema to stop at (tests make an older state file with it; minicloud always goes to the latest). */
export function openDb(file: string, upTo = MIGRATIONS.length): Db {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  chmodSync(file, 0o600); // config vars (secrets) live here
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const current = Number(db.pragma('user_version', { simple: true }));
  for (let v = current; v < upTo; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!.sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}
