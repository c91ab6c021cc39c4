// What a request says, checked once at the edge: route parameters and bodies into the typed inputs the services take.
// Each parser throws a UserError naming what is wrong; no service takes `unknown`.
import type { Request } from 'express';
import {
  TOKEN_ROLES, UserError, validateAppName, validateBranch, validateConfigKey, validateImageRef, validateNewAppName,
  type AppSettingsRequest, type AuditQuery, type PruneRequest, type CatalogInstall, type GithubConnectRequest, type LoginRequest, type NewTokenRequest, type NewUserRequest, type RegistryAuth, type TokenRole, type UpgradeRequest,
} from '../core/index.ts';
import { REPO, type PushStart, type RefUpdate } from '../intake/index.ts';
import type { SleepInput } from '../processes/index.ts';
import { AUDIT_DEFAULT, AUDIT_MAX, BOOT_TOKEN, MIN_PASSWORD } from './access/index.ts';

/** The `:app` of the route (the services look it up, and answer 404 for an unknown app). */
export const appParam = (req: Request): string => String(req.params.app);

/** Another named route parameter: `:id`, `:kind`, `:name`. */
export const param = (req: Request, name: string): string => String(req.params[name]);

/** A release number in the route (`:version`, `:from`): `7` or `v7`. */
export function versionParam(req: Request, name: string): number {
  const raw = String(req.params[name]);
  const m = /^v?(\d{1,9})$/i.exec(raw);
  if (!m || Number(m[1]) < 1) throw new UserError(`${JSON.stringify(raw.slice(0, 40))} is not a release number`, `give one such as v3 (see \`minicloud releases ${appParam(req)}\`)`);
  return Number(m[1]);
}

/** `?confirm=<app>` of a destructive call, as sent (the service compares it with the app's name). */
export const confirmParam = (req: Request): string | undefined => (typeof req.query.confirm === 'string' ? req.query.confirm : undefined);

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{"name": "my-app"}` of POST /apps. */
export function parseNewAppName(body: unknown): string {
  return validateNewAppName(isObject(body) ? body.name : undefined);
}

/** `{"FOO": "bar", "OLD": null}`: sets and unsets. */
export function parseConfigChanges(body: unknown, app: string): Record<string, string | null> {
  if (!isObject(body) || Object.keys(body).length === 0) {
    throw new UserError('send an object of config vars, e.g. {"FOO": "bar"} (null unsets)', `try \`minicloud config:set ${app} FOO=bar\``);
  }
  const changes: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(body)) {
    validateConfigKey(k);
    if (v !== null && typeof v !== 'string') throw new UserError(`config var ${k} must be a string or null`);
    changes[k] = v;
  }
  return changes;
}

/** `{"web": 2, "worker": 0}`: counts per process type (the formation checks the types and the range). */
export function parseScale(body: unknown, app: string): Record<string, number> {
  if (!isObject(body) || Object.keys(body).length === 0) throw new UserError('send the counts per process type, e.g. {"web": 2}', `try \`minicloud ps:scale ${app} web=2\``);
  for (const [type, n] of Object.entries(body)) {
    if (typeof n !== 'number') throw new UserError(`${type}=${JSON.stringify(n)}: the count must be a whole number`, `try \`minicloud ps:scale ${app} ${type}=1\``);
  }
  return body as Record<string, number>;
}

/** `{"afterSeconds": 900}`, `{"afterSeconds": null}` or `{"now": true}` of PUT /apps/:app/sleep (the service checks the range). */
export function parseSleep(body: unknown, app: string): SleepInput {
  const b = isObject(body) ? body : {};
  const after = b.afterSeconds;
  if (after !== undefined && after !== null && typeof after !== 'number') {
    throw new UserError('afterSeconds must be null (never sleep) or whole seconds', `e.g. \`minicloud apps:sleep ${app} 15m\``);
  }
  return { ...(after !== undefined && { afterSeconds: after }), now: b.now === true };
}

/** `{"version": 3}` of a rollback, or nothing: the release before the current. */
export function parseRollback(body: unknown, app: string): number | undefined {
  const version = isObject(body) ? body.version : undefined;
  if (version !== undefined && (typeof version !== 'number' || !Number.isInteger(version) || version < 1)) {
    throw new UserError('version must be a release number such as 3', `see \`minicloud releases ${app}\``);
  }
  return version;
}

/** `{"command": "node -v"}` of a one-off run. */
export function parseRunCommand(body: unknown, app: string): string {
  const command = isObject(body) ? body.command : undefined;
  if (typeof command !== 'string' || !command.trim()) throw new UserError('send the command to run', `e.g. \`minicloud run ${app} -- node -v\``);
  return command;
}

/** `{"repo": "owner/repo", "branch": "main", "token": "…"}` of POST /apps/:app/github (branch `main` when left out). */
/** The branch defaults to the app's deploy branch (`deployBranch`), main and master alike. */
export function parseGithubConnect(body: unknown, app: string, deployBranch = 'main'): GithubConnectRequest {
  const b = isObject(body) ? body : {};
  if (typeof b.repo !== 'string' || !REPO.test(b.repo)) throw new UserError('the repository must be given as owner/repo', `e.g. \`minicloud apps:connect ${app} --github octocat/hello-world\``);
  const branch = validateBranch(typeof b.branch === 'string' && b.branch ? b.branch : deployBranch);
  const token = b.token ?? null;
  if (token !== null && (typeof token !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(token))) {
    throw new UserError('the token must be a GitHub token (printable characters, no spaces)');
  }
  return { repo: b.repo, branch, token };
}

/** `{"branch"}` of PATCH /apps/:app (`apps:set <app> branch=…`): nothing unknown, at least one setting. */
export function parseAppSettings(body: unknown, app: string): AppSettingsRequest {
  const b = isObject(body) ? body : {};
  const unknown = Object.keys(b).filter((k) => k !== 'branch');
  if (unknown.length) throw new UserError(`unknown app setting ${JSON.stringify(unknown[0]!.slice(0, 40))}`, `the settings are: branch (e.g. \`minicloud apps:set ${app} branch=main\`)`);
  if (b.branch === undefined) throw new UserError('no setting given', `e.g. \`minicloud apps:set ${app} branch=main\``);
  if (typeof b.branch !== 'string') throw new UserError('branch must be a branch name', 'e.g. branch=main');
  return { branch: validateBranch(b.branch) };
}

/** `apps`: a list of app names (each checked), duplicates dropped; absent or null is none. */
function appNames(raw: unknown): string[] {
  const list = raw === undefined || raw === null ? [] : raw;
  if (!Array.isArray(list) || !list.every((a) => typeof a === 'string')) throw new UserError('apps must be a list of app names');
  return [...new Set(list.map((a) => validateAppName(a)))];
}

const EMAIL = /^[^\s@/:]{1,64}@[a-z0-9.-]{1,190}\.[a-z]{2,}$/i;

/** `{"email", "role": "admin"|"member", "apps": [...], "password"?}` of POST /users (the service checks the apps exist). */
export function parseNewUser(body: unknown): NewUserRequest {
  const b = isObject(body) ? body : {};
  const email = typeof b.email === 'string' ? b.email.trim().toLowerCase() : '';
  if (!EMAIL.test(email)) throw new UserError(`invalid email ${JSON.stringify(b.email ?? '')}`, 'e.g. minicloud users:add alice@example.com --role member --app shop');
  const { role, apps } = parseUserRole(body);
  const password = b.password;
  if (password !== undefined && (typeof password !== 'string' || password.length < MIN_PASSWORD)) {
    throw new UserError(`a password needs at least ${MIN_PASSWORD} characters`, 'or leave it out: minicloud makes one and shows it once');
  }
  return { email, role, apps, ...(password !== undefined && { password }) };
}

/** `{"role", "apps"}` of POST /users and PATCH /users/:email: an admin (no apps) or a member of named apps. */
export function parseUserRole(body: unknown): Pick<NewUserRequest, 'role' | 'apps'> {
  const b = isObject(body) ? body : {};
  const role = b.role;
  if (role !== 'admin' && role !== 'member') throw new UserError(`invalid role ${JSON.stringify(role ?? '')}`, 'use --role admin or --role member');
  const apps = appNames(b.apps);
  if (role === 'admin' && apps.length) throw new UserError('an admin works on every app', 'leave out --app');
  if (role === 'member' && apps.length === 0) throw new UserError('a member works on named apps', 'add --app <app> (once per app)');
  return { role, apps };
}

const TOKEN_NAME = /^[a-z0-9][a-z0-9._@-]{0,62}$/i;

/** `{"name", "role"?, "apps"?}` of POST /tokens: with a role an admin's token, without one the caller's own (the service decides). */
export function parseNewToken(body: unknown): NewTokenRequest {
  const b = isObject(body) ? body : {};
  const name = typeof b.name === 'string' ? b.name.trim() : '';
  if (!TOKEN_NAME.test(name)) throw new UserError(`invalid token name ${JSON.stringify(b.name ?? '')}`, 'use letters, digits, . _ @ -, up to 63 characters, e.g. ci-deploy');
  if (name === BOOT_TOKEN) throw new UserError(`${BOOT_TOKEN} is the name of MINICLOUD_TOKEN's token`, 'pick another name');
  const role = b.role;
  if (role !== undefined && (typeof role !== 'string' || !(TOKEN_ROLES as readonly string[]).includes(role))) {
    throw new UserError(`invalid role ${JSON.stringify(role ?? '')}`, `use --role ${TOKEN_ROLES.join('|')}`);
  }
  return role === undefined ? { name, apps: [] } : { name, role: role as TokenRole, apps: appNames(b.apps) };
}

/** `?n=100&app=shop` of GET /audit. */
export function parseAuditQuery(query: Record<string, unknown>): AuditQuery {
  const n = query.n === undefined ? AUDIT_DEFAULT : Number(query.n);
  if (!Number.isInteger(n) || n < 1 || n > AUDIT_MAX) throw new UserError(`-n must be a whole number from 1 to ${AUDIT_MAX}`, 'e.g. minicloud audit -n 100');
  return { n, ...(typeof query.app === 'string' && query.app && { app: query.app }) };
}

/**
 * A dashboard login's body: `{"token"}`, or `{"email", "password"}`; null when it is neither (answered as a wrong
 * credential, 401, like a wrong token).
 */
export function parseLogin(body: unknown): LoginRequest | null {
  const b = isObject(body) ? body : {};
  if (b.email !== undefined) return typeof b.email === 'string' && typeof b.password === 'string' ? { email: b.email, password: b.password } : null;
  const token = typeof b.token === 'string' ? b.token.trim() : '';
  return token ? { token } : null;
}

/** `POST /apps/:app/deploys`: the image, registry credentials, and what the release says of its origin. */
export interface ImageDeployInput {
  image: string;
  registry?: RegistryAuth;
  /** The commit the image was built from (`--commit`), its author and message: shown in `releases` like a push's. */
  commit?: string;
  author?: string;
  message?: string;
}

function registryAuth(v: unknown): RegistryAuth | undefined {
  if (v === undefined || v === null) return undefined;
  const o = isObject(v) ? v : {};
  if (typeof o.username !== 'string' || typeof o.password !== 'string' || (o.server !== undefined && typeof o.server !== 'string')) {
    throw new UserError('registry must be {"username": "...", "password": "...", "server": "optional host"}');
  }
  return { username: o.username, password: o.password, ...(o.server ? { serveraddress: o.server as string } : {}) };
}

/** A line of text a client gives for the release list: no control characters, at most `max` characters. */
function oneLine(v: unknown, what: string, max: number): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new UserError(`${what} must be text`);
  const first = v.split(/\r?\n/)[0]!.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(first)) throw new UserError(`${what} has control characters`, 'send plain text');
  if (first.length > max) throw new UserError(`${what} is longer than ${max} characters`);
  return first || undefined;
}

export function parseImageDeploy(body: unknown, app: string): ImageDeployInput {
  const b = isObject(body) ? body : {};
  if (b.image === undefined) throw new UserError('no image given', `e.g. \`minicloud deploy ${app} --image ghcr.io/me/app:1.2\`; to deploy code, git push`);
  const commit = b.commit;
  if (commit !== undefined && (typeof commit !== 'string' || !/^[0-9a-f]{7,64}$/i.test(commit))) {
    throw new UserError('commit must be a commit id: 7 to 64 hexadecimal digits', 'e.g. --commit "$GITHUB_SHA"');
  }
  const registry = registryAuth(b.registry);
  const author = oneLine(b.author, 'author', 200);
  const message = oneLine(b.message, 'message', 500);
  return {
    image: validateImageRef(b.image), ...(registry && { registry }), ...(typeof commit === 'string' && { commit: commit.toLowerCase() }),
    ...(author && { author }), ...(message && { message }),
  };
}

/** `{"name": "contacts", "set": {"KEY": "value"}}` of POST /catalog/:id/apps: the name is checked when the app is made. */
export function parseCatalogInstall(body: unknown): CatalogInstall {
  const example = 'send {"name": "contacts", "set": {"KEY": "value"}}';
  const o = isObject(body) ? body : {};
  const unknown = Object.keys(o).find((k) => k !== 'name' && k !== 'set');
  if (unknown) throw new UserError(`${unknown}: not a field of an install`, example);
  if (typeof o.name !== 'string') throw new UserError("name must be the new app's name", example);
  const set = o.set ?? {};
  if (!isObject(set) || Object.values(set).some((v) => typeof v !== 'string')) throw new UserError('set must map input names to strings', 'e.g. {"set": {"RADICALE_USER": "alice"}}');
  return { name: o.name, set: set as Record<string, string> };
}

/** `{"to": "3.1.9"}` of POST /apps/:app/upgrade, or nothing: the entry's pinned version. */
export function parseUpgrade(body: unknown, app: string): UpgradeRequest {
  const o = isObject(body) ? body : {};
  const unknown = Object.keys(o).find((k) => k !== 'to');
  if (unknown) throw new UserError(`${unknown}: not a field of an upgrade`, 'send {} or {"to": "<version>"}');
  if (o.to === undefined) return {};
  if (typeof o.to !== 'string' || !/^[0-9][0-9A-Za-z.+-]{0,40}$/.test(o.to)) throw new UserError('to must be a version such as 1.25.5', `see \`minicloud apps:upgrade ${app}\` for the versions there are`);
  return { to: o.to };
}

const MALFORMED_HOOK = 'malformed hook request';
const isString = (v: unknown): v is string => typeof v === 'string';

/** The pre-receive hook's `{"app", "updates": [{oldrev, newrev, ref}]}` (the push intake checks the revisions and refs). */
export function parseHookPlan(body: unknown): { app: string; updates: RefUpdate[] } {
  const b = isObject(body) ? body : {};
  if (!isString(b.app) || !Array.isArray(b.updates)) throw new UserError(MALFORMED_HOOK);
  const updates = b.updates.map((u: unknown): RefUpdate => {
    if (!isObject(u) || !isString(u.oldrev) || !isString(u.newrev) || !isString(u.ref)) throw new UserError(MALFORMED_HOOK);
    return { oldrev: u.oldrev, newrev: u.newrev, ref: u.ref };
  });
  return { app: b.app, updates };
}

/** The hook's deploy request: the app, the ref update and the upload id its plan gave, the commit's author and message. */
export function parseHookDeploy(body: unknown): { app: string; start: PushStart } {
  const b = isObject(body) ? body : {};
  const { app, ref, oldrev, newrev, upload } = b;
  if (!isString(app) || !isString(ref) || !isString(oldrev) || !isString(newrev) || !isString(upload)) throw new UserError(MALFORMED_HOOK);
  const text = (v: unknown) => (isString(v) ? v : undefined);
  return { app, start: { ref, oldrev, newrev, upload, author: text(b.author), message: text(b.message) } };
}

/** `{"branches": "feature/*", "expireSeconds": 604800}` of PUT /apps/:app/previews (expiry null or absent: never). */
export function parsePreviewSettings(body: unknown, app: string): { branches: string; expireSeconds: number | null } {
  const b = isObject(body) ? body : {};
  const branches = b.branches ?? '*';
  if (typeof branches !== 'string') throw new UserError('branches must be a pattern such as feature/*', `e.g. \`minicloud previews:enable ${app} --branches 'feature/*'\``);
  const expire = b.expireSeconds ?? null;
  if (expire !== null && (typeof expire !== 'number' || !Number.isInteger(expire) || expire < 60 || expire > 365 * 86400)) {
    throw new UserError('expireSeconds must be whole seconds from 60 to a year, or null for never', `e.g. \`minicloud previews:enable ${app} --expire 7d\``);
  }
  return { branches, expireSeconds: expire };
}

/** POST /api/prune: `{ dryRun?, volumes?, caches? }`, each checked. */
export function parsePruneRequest(body: unknown): PruneRequest {
  const b = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  for (const k of ['dryRun', 'volumes'] as const) {
    if (b[k] !== undefined && typeof b[k] !== 'boolean') throw new UserError(`${k} must be true or false`);
  }
  if (b.caches !== undefined && b.caches !== 'all' && b.caches !== 'stale') throw new UserError('caches must be "all" or "stale"');
  return { dryRun: b.dryRun === true, volumes: b.volumes === true, caches: (b.caches as PruneRequest['caches']) ?? 'all' };
}

/** A node named in the route: its hostname, id (or the start of it) or address. */
export function nodeParam(req: Request): string {
  const raw = String(req.params.node);
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(raw)) throw new UserError(`${JSON.stringify(raw.slice(0, 40))} is not a node name`, 'name a node by its hostname, id or address, as `minicloud nodes` lists them');
  return raw;
}
