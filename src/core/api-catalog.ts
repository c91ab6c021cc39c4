// Shapes of the catalog's API bodies: entries, installs and upgrades.

/** A catalog entry (`catalog/<id>.json`, checked against catalog/schema.json), as `GET /api/catalog/:id` shows it. */
export interface CatalogEntry {
  id: string;
  name: string;
  description: string;
  links: { homepage: string; docs?: string; source?: string };
  /** Pinned: every process image's tag starts with it. */
  version: string;
  /** Other pinned versions it runs (same commands, another image), for `apps:upgrade --to`. */
  versions?: Array<{ version: string; image: string }>;
  memoryMb: number;
  inputs?: Array<{ key: string; description: string; pattern: string; example?: string; default?: string; secret?: boolean }>;
  /** Generated: random bytes, or an htpasswd line (`user:` bcrypt hash) of two inputs. */
  secrets?: Array<{ key: string; description: string; bytes?: number; htpasswd?: { user: string; password: string } }>;
  addons?: Array<{ kind: 'postgres' | 'mariadb' | 'redis' | 'rabbitmq'; env?: Record<string, string> }>;
  volumes?: Array<{ name: string; path: string }>;
  /** Router settings it starts with, as `router:set` takes them: `timeout`, `https-only`, `max-body`. */
  router?: Partial<Record<'timeout' | 'https-only' | 'max-body', string>>;
  health: { path: string; timeout?: number };
  /** `uid:gid` its processes run as instead of the image's (never root); it owns the app's storage. */
  user?: string;
  processes: Record<string, { image: string; command: string; env?: Record<string, string>; port?: number }>;
}

/** `GET /api/catalog`: the entries that passed their checks, and the files that did not (with why). */
export interface CatalogList { entries: CatalogEntry[]; broken: Array<{ file: string; error: string }> }

/** `POST /api/catalog/:id/apps`: the new app's name and the entry's inputs (`--set KEY=value`); answered with the install's log (NDJSON). */
export interface CatalogInstall { name: string; set?: Record<string, string> }

/** `GET /api/apps/:app/upgrade`: the catalog entry an app was installed from, the version it runs and those it can move to. */
export interface UpgradeInfo {
  id: string;
  name: string;
  /** The version the current release runs; null when it runs an image that is no version of the entry (a `deploy --image`). */
  installed: string | null;
  /** The entry's pinned version. */
  newest: string;
  /** Every version the entry lists, newest first. */
  versions: string[];
}

/** `POST /api/apps/:app/upgrade`: a version the entry lists (default: its pinned one); answered with the upgrade's log (NDJSON). */
export interface UpgradeRequest { to?: string }
