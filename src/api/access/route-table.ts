// The one table of every HTTP route minicloud serves and the permission it requires: the access gate enforces it,
// the OpenAPI document is made from it, and a request no entry matches is refused (fail closed).
import type { Permission } from './roles.ts';

/** What a rule may read from a request (no framework types: the gate and the tests both use it). */
export interface RuleRequest { params: Record<string, string>; query: Record<string, unknown>; body?: unknown }

export interface RouteRule {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Express-style: literal segments, `:param` for one segment, a final `*` for the rest. */
  path: string;
  permission: Permission;
  summary: string;
  /** A request-dependent permission (the same URL serving two things), else `permission`. */
  refine?: (r: RuleRequest) => Permission;
  /** The audit log's name for a change made through this route (state-changing routes). */
  action?: string;
  /** What the audit log records of the request: names and choices, never a value that may be secret. */
  detail?: (r: RuleRequest) => Record<string, unknown>;
  /** The body field naming the app, where the URL does not (apps:create). */
  bodyApp?: string;
  /** Also takes a person's email and password as basic auth (their first CLI token). */
  password?: boolean;
  /** Not part of the REST API's OpenAPI document (git, dashboard files, the hook's calls). */
  internal?: boolean;
}

const body = (r: RuleRequest) => (r.body && typeof r.body === 'object' && !Array.isArray(r.body) ? (r.body as Record<string, unknown>) : {});
const pick = (...keys: string[]) => (r: RuleRequest) => Object.fromEntries(keys.filter((k) => body(r)[k] !== undefined).map((k) => [k, body(r)[k]]));
const yes = (v: unknown) => v === '1' || v === 'true';
const configNames = (r: RuleRequest) => {
  const b = body(r);
  return { set: Object.keys(b).filter((k) => b[k] !== null), unset: Object.keys(b).filter((k) => b[k] === null) };
};
/** An install: the app, the entry and which inputs were given, never their values (a password is one). */
const installDetail = (r: RuleRequest) => {
  const set = body(r).set;
  return { name: body(r).name, from: r.params.id, set: set && typeof set === 'object' ? Object.keys(set) : [] };
};
/** The file's name and the env_files sent, never their texts (they hold secrets). */
const composeDetail = (r: RuleRequest) => {
  const files = body(r).envFiles;
  return { name: body(r).name, compose: body(r).file ?? 'compose.yaml', envFiles: files && typeof files === 'object' ? Object.keys(files) : [] };
};
/** Only the program `run` started: its arguments may carry secrets. */
const program = (r: RuleRequest) => {
  const c = body(r).command;
  const words = Array.isArray(c) ? c : typeof c === 'string' ? c.trim().split(/\s+/) : [];
  return { program: typeof words[0] === 'string' ? words[0].slice(0, 100) : null };
};
/** `logs --build` is the deploy log, which deploy tokens may read; the other log sources need read access. */
const logsPermission = (r: RuleRequest): Permission => (yes(r.query.build) && r.query.source === undefined && r.query.sources === undefined ? 'app:deploy-log' : 'app:read');

export const ROUTES: RouteRule[] = [
  // --- the REST API
  { method: 'GET', path: '/api/me', permission: 'any', summary: 'Who the credential belongs to: name, role, apps' },
  { method: 'GET', path: '/api/status', permission: 'list', summary: 'What minicloud runs on' },
  { method: 'GET', path: '/api/apps', permission: 'list', summary: 'The apps the caller may see' },
  { method: 'POST', path: '/api/apps', permission: 'admin', summary: 'Create an app', action: 'apps:create', detail: pick('name'), bodyApp: 'name' },
  { method: 'GET', path: '/api/catalog', permission: 'list', summary: 'The app catalog: every entry, and the broken ones with why' },
  { method: 'GET', path: '/api/catalog/:id', permission: 'list', summary: 'One catalog entry: what it needs and what it runs' },
  { method: 'GET', path: '/api/apps/:app/upgrade', permission: 'app:read', summary: 'A catalog app: its entry, the version it runs and the versions it can move to' },
  { method: 'POST', path: '/api/apps/:app/upgrade', permission: 'app:manage', summary: "Upgrade a catalog app to a newer version: a backup, then the new image, rolled back if it does not come up healthy (the upgrade's log, NDJSON)", action: 'apps:upgrade', detail: pick('to') },
  { method: 'POST', path: '/api/compose/env-files', permission: 'admin', summary: 'The env_files a Compose file names (the CLI sends their texts with it)' },
  { method: 'POST', path: '/api/compose/apps', permission: 'admin', summary: "Make a new app of a Compose file (its first deploy's log, NDJSON)", action: 'apps:create', detail: composeDetail, bodyApp: 'name' },
  { method: 'POST', path: '/api/catalog/:id/apps', permission: 'admin', summary: 'Install a catalog entry as a new app (its first deploy\'s log, NDJSON)', action: 'apps:create', detail: installDetail, bodyApp: 'name' },
  { method: 'GET', path: '/api/apps/:app', permission: 'app:read', summary: 'An app and its instances' },
  { method: 'PATCH', path: '/api/apps/:app', permission: 'app:manage', summary: "Change an app's settings: its deploy branch", action: 'apps:set', detail: pick('branch') },
  { method: 'PUT', path: '/api/apps/:app/maintenance', permission: 'app:manage', summary: "Maintenance on: the router answers the app's visitors with a 503 page (Retry-After); the app keeps running", action: 'maintenance:on' },
  { method: 'DELETE', path: '/api/apps/:app/maintenance', permission: 'app:manage', summary: 'Maintenance off: the router serves the app again', action: 'maintenance:off' },
  { method: 'POST', path: '/api/apps/:app/rename', permission: 'admin', summary: 'Rename an app: its default URL moves; domains, add-ons, config, volumes, logs and releases are kept', action: 'apps:rename', detail: pick('name') },
  { method: 'DELETE', path: '/api/apps/:app', permission: 'admin', summary: 'Destroy an app', action: 'apps:destroy' },
  { method: 'GET', path: '/api/apps/:app/config', permission: 'app:manage', summary: "An app's config vars (secrets)" },
  { method: 'PATCH', path: '/api/apps/:app/config', permission: 'app:manage', summary: 'Set (value) or unset (null) config vars', action: 'config:update', detail: configNames },
  { method: 'GET', path: '/api/apps/:app/releases', permission: 'app:read', summary: "An app's releases" },
  { method: 'GET', path: '/api/apps/:app/releases/:version', permission: 'app:read', summary: 'One release: commit, image, process types, manifest, formation, config var names (never values)' },
  { method: 'GET', path: '/api/apps/:app/releases/:from/diff/:to', permission: 'app:read', summary: 'What changed between two releases: build, config var names added/removed/changed (never values), processes, manifest, formation' },
  { method: 'GET', path: '/api/apps/:app/previews', permission: 'app:read', summary: "An app's preview settings and its preview apps" },
  { method: 'PUT', path: '/api/apps/:app/previews', permission: 'app:manage', summary: 'Make a preview app for each push of a matching branch', action: 'previews:enable', detail: pick('branches', 'expireSeconds') },
  { method: 'PATCH', path: '/api/apps/:app/previews/config', permission: 'app:manage', summary: 'Set (value) or unset (null) config vars only previews get', action: 'previews:config', detail: configNames },
  { method: 'DELETE', path: '/api/apps/:app/previews', permission: 'app:manage', summary: 'Make no more previews (those there are stay until their branch goes)', action: 'previews:disable' },
  { method: 'GET', path: '/api/apps/:app/deploys', permission: 'app:deploy-log', summary: "An app's deploys" },
  { method: 'POST', path: '/api/apps/:app/deploys', permission: 'app:deploy', summary: 'Deploy a container image (with the commit, author and message it was built from)', action: 'deploy:image', detail: pick('image', 'commit') },
  { method: 'GET', path: '/api/apps/:app/deploys/:id/log', permission: 'app:deploy-log', summary: "A deploy's log (NDJSON, ?follow=1)" },
  { method: 'POST', path: '/api/apps/:app/github', permission: 'app:deploy', summary: 'Deploy on pushes to a GitHub repository (webhook connect)', action: 'github:connect', detail: pick('repo', 'branch') },
  { method: 'GET', path: '/api/apps/:app/github', permission: 'app:read', summary: 'The GitHub repository an app follows ({"connected": false} when none)' },
  { method: 'GET', path: '/api/apps/:app/cron', permission: 'app:read', summary: "An app's cron jobs and their last runs" },
  { method: 'GET', path: '/api/apps/:app/cron/runs', permission: 'app:read', summary: "The newest runs of an app's cron jobs: start, end, exit code (?n=20)" },
  { method: 'POST', path: '/api/apps/:app/cron/run', permission: 'app:manage', summary: 'Run a cron job of the current release now', action: 'cron:run', detail: pick('schedule', 'command') },
  { method: 'GET', path: '/api/apps/:app/metrics', permission: 'app:read', summary: "An app's metrics per minute" },
  { method: 'GET', path: '/api/apps/:app/ps', permission: 'app:read', summary: "An app's instances" },
  { method: 'POST', path: '/api/apps/:app/restart', permission: 'app:manage', summary: 'Restart an app', action: 'apps:restart' },
  { method: 'GET', path: '/api/apps/:app/logs', permission: 'app:read', refine: logsPermission, summary: "An app's logs (NDJSON): output, router, builds (?build=1 needs deploy access only)" },
  { method: 'GET', path: '/api/apps/:app/formation', permission: 'app:read', summary: "An app's process counts" },
  { method: 'PATCH', path: '/api/apps/:app/formation', permission: 'app:manage', summary: 'Scale process types', action: 'ps:scale', detail: (r) => body(r) },
  { method: 'POST', path: '/api/apps/:app/stop', permission: 'app:manage', summary: 'Stop an app', action: 'apps:stop' },
  { method: 'POST', path: '/api/apps/:app/start', permission: 'app:manage', summary: 'Start a stopped app', action: 'apps:start' },
  { method: 'PUT', path: '/api/apps/:app/sleep', permission: 'app:manage', summary: 'Sleep an app when idle', action: 'apps:sleep', detail: pick('afterSeconds', 'now') },
  { method: 'POST', path: '/api/apps/:app/rollback', permission: 'app:manage', summary: 'Roll back to an earlier release', action: 'rollback', detail: pick('version') },
  { method: 'POST', path: '/api/apps/:app/run', permission: 'app:manage', summary: 'Run a one-off command (NDJSON output)', action: 'run', detail: program },
  { method: 'GET', path: '/api/apps/:app/console', permission: 'app:manage', summary: 'Run a one-off command in a console (a websocket to a pseudo-terminal)', action: 'run', detail: (r) => ({ ...program(r), console: true }) },
  { method: 'GET', path: '/api/apps/:app/addons', permission: 'app:read', summary: "An app's add-ons (config var names only)" },
  { method: 'POST', path: '/api/apps/:app/addons', permission: 'app:manage', summary: 'Attach an add-on', action: 'addons:create', detail: pick('kind') },
  { method: 'GET', path: '/api/apps/:app/addons/:kind', permission: 'app:read', summary: 'One add-on: its server, database, user, what it holds now, and its URL with the password masked' },
  { method: 'DELETE', path: '/api/apps/:app/addons/:kind', permission: 'app:manage', summary: 'Detach an add-on and drop its data', action: 'addons:destroy' },
  { method: 'GET', path: '/api/apps/:app/domains', permission: 'app:read', summary: "An app's domains" },
  { method: 'POST', path: '/api/apps/:app/domains', permission: 'app:manage', summary: 'Add a custom domain', action: 'domains:add', detail: pick('domain') },
  { method: 'DELETE', path: '/api/apps/:app/domains/:domain', permission: 'app:manage', summary: 'Remove a custom domain', action: 'domains:remove' },
  { method: 'GET', path: '/api/router', permission: 'list', summary: 'The router daemon: pid, workers, ports, since when' },
  { method: 'POST', path: '/api/router/restart', permission: 'admin', summary: "Restart the router's workers (new ones listen before the old drain)", action: 'router:restart' },
  { method: 'GET', path: '/api/apps/:app/router', permission: 'app:read', summary: "An app's router settings" },
  { method: 'PUT', path: '/api/apps/:app/router', permission: 'app:manage', summary: 'Change router settings', action: 'router:set', detail: (r) => body(r) },
  { method: 'GET', path: '/api/apps/:app/storage', permission: 'app:read', summary: "An app's volumes" },
  { method: 'POST', path: '/api/apps/:app/storage', permission: 'app:manage', summary: 'Add a volume', action: 'storage:add', detail: pick('path') },
  { method: 'DELETE', path: '/api/apps/:app/storage', permission: 'app:manage', summary: 'Remove a volume', action: 'storage:remove', detail: pick('path') },
  { method: 'GET', path: '/api/apps/:app/resources', permission: 'app:read', summary: "An app's memory limit" },
  { method: 'PUT', path: '/api/apps/:app/resources', permission: 'app:manage', summary: 'Change the memory limit', action: 'resources:set', detail: pick('memory') },
  { method: 'GET', path: '/api/apps/:app/backups', permission: 'app:read', summary: "An app's backups" },
  { method: 'POST', path: '/api/apps/:app/backups', permission: 'app:manage', summary: 'Back up an app now', action: 'backups:capture' },
  { method: 'GET', path: '/api/apps/:app/backups/schedule', permission: 'app:read', summary: "An app's backup schedule" },
  { method: 'PUT', path: '/api/apps/:app/backups/schedule', permission: 'app:manage', summary: 'Change the backup schedule', action: 'backups:schedule', detail: pick('frequency', 'keep') },
  { method: 'GET', path: '/api/disk', permission: 'server:read', summary: "What uses the data directory's disk, per app, and the free-space floor" },
  { method: 'POST', path: '/api/prune', permission: 'admin', summary: 'Remove builds, caches, leftover archives and git garbage no release needs (storage only when asked)', action: 'prune', detail: pick('dryRun', 'volumes', 'caches') },
  { method: 'GET', path: '/api/nodes', permission: 'server:read', summary: "A swarm's nodes: address, role, state, availability, memory, and the apps' instances on each" },
  { method: 'GET', path: '/api/nodes/join', permission: 'admin', summary: 'The command a new server runs to join the swarm as a worker (with the join token)', action: 'nodes:add' },
  { method: 'POST', path: '/api/nodes/:node/drain', permission: 'admin', summary: "Move a node's instances to other nodes (each replaced before it stops), then set it to drain (NDJSON progress)", action: 'nodes:drain' },
  { method: 'POST', path: '/api/nodes/:node/activate', permission: 'admin', summary: 'Let a paused or drained node take new instances again', action: 'nodes:activate' },
  { method: 'DELETE', path: '/api/nodes/:node', permission: 'admin', summary: 'Remove a drained worker node from the swarm', action: 'nodes:remove' },
  { method: 'POST', path: '/api/swarm/init', permission: 'admin', summary: "Make this server's Docker engine a one-node swarm and move every running app onto it, no request failing (NDJSON progress)", action: 'swarm:init' },
  { method: 'GET', path: '/api/backups/target', permission: 'server:read', summary: 'The off-box backup target (S3; the secret key never shown)' },
  { method: 'PUT', path: '/api/backups/target', permission: 'admin', summary: 'Set the off-box backup target (checked against the bucket first)', action: 'backups:target', detail: pick('url', 'endpoint', 'region') },
  { method: 'DELETE', path: '/api/backups/target', permission: 'admin', summary: 'Stop copying backups off the box (the copies stay)', action: 'backups:target' },
  { method: 'GET', path: '/api/apps/:app/backups/remote', permission: 'app:read', summary: "An app's backups in the off-box target" },
  { method: 'GET', path: '/api/apps/:app/backups/:id', permission: 'app:read', summary: 'One backup' },
  { method: 'GET', path: '/api/apps/:app/backups/:id/download', permission: 'app:manage', summary: 'One backup as a tar file (fetched from the off-box target when not here)' },
  { method: 'POST', path: '/api/apps/:app/backups/:id/restore', permission: 'app:manage', summary: 'Restore a backup', action: 'backups:restore' },
  { method: 'GET', path: '/api/server/backup', permission: 'admin', summary: 'An archive of the whole server (tar.gz, secrets included), for `minicloud restore`', action: 'server:backup' },
  { method: 'POST', path: '/api/server/restore', permission: 'admin', summary: 'Restore a server archive (the raw tar.gz as the body; ?force=1 beside existing apps): NDJSON progress', action: 'server:restore' },
  { method: 'GET', path: '/api/apps/:app/certs', permission: 'app:read', summary: "An app's certificates" },
  { method: 'POST', path: '/api/apps/:app/certs', permission: 'app:manage', summary: "Add the user's own certificate chain and key for the app's names it covers (or one, `domain`); the key is never shown again", action: 'certs:add', detail: pick('domain') },
  { method: 'DELETE', path: '/api/apps/:app/certs', permission: 'app:manage', summary: "Remove the app's custom certificates (or one domain's, `?domain=`): back to the CA's or a self-signed one", action: 'certs:remove' },
  { method: 'POST', path: '/api/apps/:app/certs/renew', permission: 'app:manage', summary: 'Renew certificates now', action: 'certs:renew' },
  { method: 'GET', path: '/api/alerts', permission: 'list', summary: 'Alert channels: the server\'s (admins) and those of the apps the caller sees (webhook URLs masked)' },
  { method: 'POST', path: '/api/alerts', permission: 'admin', summary: 'Add a server-wide alert channel: a webhook or an e-mail address', action: 'alerts:add', detail: pick('kind', 'format') },
  { method: 'DELETE', path: '/api/alerts/:id', permission: 'admin', summary: 'Remove an alert channel (any, as admin)', action: 'alerts:remove' },
  { method: 'POST', path: '/api/alerts/test', permission: 'admin', summary: 'Send a test alert to every server-wide channel', action: 'alerts:test' },
  { method: 'POST', path: '/api/alerts/:id/test', permission: 'admin', summary: 'Send a test alert to one channel (any, as admin)', action: 'alerts:test' },
  { method: 'GET', path: '/api/alerts/history', permission: 'list', summary: 'Alerts sent and how each delivery went (the apps the caller sees; the server\'s for admins)' },
  { method: 'GET', path: '/api/apps/:app/alerts', permission: 'app:read', summary: "An app's alert channels (webhook URLs masked)" },
  { method: 'POST', path: '/api/apps/:app/alerts', permission: 'app:manage', summary: 'Add an alert channel for an app', action: 'alerts:add', detail: pick('kind', 'format') },
  { method: 'DELETE', path: '/api/apps/:app/alerts/:id', permission: 'app:manage', summary: "Remove one of an app's alert channels", action: 'alerts:remove' },
  { method: 'POST', path: '/api/apps/:app/alerts/test', permission: 'app:manage', summary: "Send a test alert to each of an app's channels", action: 'alerts:test' },
  { method: 'POST', path: '/api/apps/:app/alerts/:id/test', permission: 'app:manage', summary: "Send a test alert to one of an app's channels", action: 'alerts:test' },
  { method: 'GET', path: '/api/apps/:app/alerts/history', permission: 'app:read', summary: "An app's alerts and how each delivery went" },
  { method: 'GET', path: '/api/tokens', permission: 'person', summary: 'API tokens (an admin sees all, a person their own)' },
  { method: 'POST', path: '/api/tokens', permission: 'person', summary: 'Create a token (its secret is in this reply only); without a role, your own', action: 'tokens:create', detail: pick('name', 'role', 'apps'), password: true },
  { method: 'DELETE', path: '/api/tokens/:name', permission: 'person', summary: 'Revoke a token, ending its sessions', action: 'tokens:revoke' },
  { method: 'GET', path: '/api/audit', permission: 'list', summary: 'The audit log: who changed what, when, from where (?app=, ?n=); each sees the apps they may' },
  { method: 'GET', path: '/api/users', permission: 'admin', summary: 'People: email, role, apps' },
  { method: 'POST', path: '/api/users', permission: 'admin', summary: 'Add a person (a made-up password is in this reply only)', action: 'users:add', detail: pick('email', 'role', 'apps') },
  { method: 'PATCH', path: '/api/users/:email', permission: 'admin', summary: "Change a person's role and apps (in force at their next request)", action: 'users:set', detail: pick('role', 'apps') },
  { method: 'DELETE', path: '/api/users/:email', permission: 'admin', summary: 'Remove a person, their tokens and sessions', action: 'users:remove' },
  { method: 'GET', path: '/api/sessions', permission: 'admin', summary: 'Who is logged in to the dashboard' },
  { method: 'DELETE', path: '/api/sessions/:key', permission: 'admin', summary: 'End a dashboard session', action: 'sessions:end' },
  { method: 'GET', path: '/api/openapi.json', permission: 'public', summary: 'This document' },
  // --- outside the REST API
  { method: 'GET', path: '/metrics', permission: 'metrics', summary: 'Prometheus metrics', internal: true },
  { method: 'GET', path: '/git/:repo/info/refs', permission: 'app:deploy', summary: 'git: advertise refs (push and fetch alike)', internal: true },
  { method: 'POST', path: '/git/:repo/git-receive-pack', permission: 'app:deploy', summary: 'git push', action: 'git:push', internal: true },
  { method: 'POST', path: '/git/:repo/git-upload-pack', permission: 'app:deploy', summary: 'git fetch', internal: true },
  { method: 'POST', path: '/webhooks/github', permission: 'public', summary: 'GitHub push webhook (checked by its signature)', internal: true },
  { method: 'POST', path: '/internal/hooks/plan', permission: 'hook', summary: 'the git hook: plan a push', internal: true },
  { method: 'POST', path: '/internal/hooks/deploy', permission: 'hook', summary: 'the git hook: deploy a push', internal: true },
  { method: 'GET', path: '/internal/hooks/deploys/:id/log', permission: 'hook', summary: "the git hook: follow a deploy's log", internal: true },
  { method: 'POST', path: '/internal/hooks/deploys/:id/told', permission: 'hook', summary: 'the git hook: its pusher saw how the deploy ended', internal: true },
  { method: 'GET', path: '/', permission: 'public', summary: 'Redirect to the dashboard', internal: true },
  { method: 'GET', path: '/cli.tgz', permission: 'public', summary: 'The minicloud CLI as an npm package: npm install -g <server>/cli.tgz', internal: true },
  // The dashboard's login checks its own credentials (rate-limited); its files are public.
  { method: 'POST', path: '/dashboard/session', permission: 'public', summary: 'Log in to the dashboard', internal: true },
  { method: 'GET', path: '/dashboard/session', permission: 'public', summary: "The session's CSRF token", internal: true },
  { method: 'DELETE', path: '/dashboard/session', permission: 'public', summary: 'Log out', internal: true },
  { method: 'GET', path: '/dashboard', permission: 'public', summary: 'The dashboard', internal: true },
  { method: 'GET', path: '/dashboard/vendor/:file', permission: 'public', summary: "The dashboard's third-party files (xterm.js)", internal: true },
  { method: 'GET', path: '/dashboard/*', permission: 'public', summary: "The dashboard's files", internal: true },
];

interface Compiled { rule: RouteRule; segments: string[] }
const compiled: Compiled[] = ROUTES.map((rule) => ({ rule, segments: rule.path.split('/').filter(Boolean) }));

export interface Match { rule: RouteRule; params: Record<string, string> }

/**
 * The rule for a request, matched as Express matches routes (case-insensitive literals, one segment per
 * `:param`, URL-decoded, an optional trailing slash; HEAD as GET); null when none does.
 */
export function matchRoute(method: string, pathname: string, rules: Compiled[] = compiled): Match | null {
  const m = method === 'HEAD' ? 'GET' : method;
  const parts = pathname.split('/').filter((s, i, all) => s !== '' || (i > 0 && i < all.length - 1));
  if (parts.some((p) => p === '')) return null; // `//` inside a path: no route has one
  for (const c of rules) {
    if (c.rule.method !== m) continue;
    const params = matchSegments(c.segments, parts);
    if (params) return { rule: c.rule, params };
  }
  return null;
}

function matchSegments(segments: string[], parts: string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg === '*') return parts.length > i ? params : null;
    const part = parts[i];
    if (part === undefined) return null;
    if (seg.startsWith(':')) {
      try {
        params[seg.slice(1)] = decodeURIComponent(part);
      } catch {
        return null;
      }
    } else if (seg.toLowerCase() !== part.toLowerCase()) return null;
  }
  return parts.length === segments.length ? params : null;
}

/** The app a matched request is about: `:app`, or the repository of a git URL. */
export function appOf(match: Match): string | undefined {
  if (match.params.app !== undefined) return match.params.app;
  const repo = match.params.repo;
  return repo === undefined ? undefined : repo.replace(/\.git$/, '');
}
