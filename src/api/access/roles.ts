// Who may do what: the roles a token or a person has, the permission each route requires, and the one check between them.

/** Token roles (admin, deploy, read, metrics) and the person's role (member; a person can also be admin). */
export type Role = 'admin' | 'deploy' | 'read' | 'metrics' | 'member';

/**
 * What a route requires. `public`: nothing (it checks its own proof, e.g. a webhook signature);
 * `hook`: the git hook's own token; the rest need a token or a session.
 */
export type Permission =
  | 'public' | 'hook'
  | 'any' // any valid credential: who am I
  | 'person' // an admin, or a person (their own tokens)
  | 'metrics' // GET /metrics
  | 'list' // lists every app the caller may see (filtered by the route)
  | 'server:read' // server-wide facts that name every app (disk use, the backup target): readers and members of every app
  | 'app:read' // see an app: releases, logs, metrics; change nothing
  | 'app:deploy-log' // an app's deploys and their logs
  | 'app:deploy' // push to an app (git, webhook connect, image deploy)
  | 'app:manage' // change an app, read its secrets (config)
  | 'admin';

/** The caller, resolved again on every request (a revoked token or an ended session stops at once). */
export interface Principal {
  /** Token name, or the person's email. */
  name: string;
  role: Role;
  /** null: every app. */
  apps: string[] | null;
  /** The token used (its name), when a person or an admin used one. */
  token: string | null;
  /** The person, when it is one (users:add). */
  user: string | null;
}

/** Who did it, as the audit log and error messages say it. */
export function actorOf(p: Principal): string {
  if (p.user) return p.token ? `${p.user} (token ${p.token})` : p.user;
  return `token ${p.name}`;
}

const onApp = (p: Principal, app: string | undefined) => app !== undefined && (p.apps === null || p.apps.includes(app));

/** Whether `p` may do what `perm` guards, on `app` for app permissions. */
export function allows(p: Principal, perm: Permission, app?: string): boolean {
  if (perm === 'public') return true;
  if (perm === 'hook') return false; // only the hook token, checked apart
  if (p.role === 'admin') return true;
  switch (perm) {
    case 'any': return true;
    case 'person': return p.user !== null;
    case 'metrics': return p.role === 'metrics' || (p.role === 'read' && p.apps === null);
    case 'list': return p.role === 'read' || p.role === 'member';
    case 'server:read': return (p.role === 'read' || p.role === 'member') && p.apps === null;
    case 'app:read': return (p.role === 'read' || p.role === 'member') && onApp(p, app);
    case 'app:deploy-log': return (p.role === 'read' || p.role === 'member' || p.role === 'deploy') && onApp(p, app);
    case 'app:deploy': return (p.role === 'deploy' || p.role === 'member') && onApp(p, app);
    case 'app:manage': return p.role === 'member' && onApp(p, app);
    case 'admin': return false;
  }
}

/** Whether the caller sees this app in lists (GET /api/apps). */
export function sees(p: Principal, app: string): boolean {
  return allows(p, 'app:read', app);
}

const ROLE_SAYS: Record<Permission, string> = {
  public: '', hook: 'only the git hook calls this', any: '', person: 'only admins and people (users:add) have their own tokens',
  metrics: 'needs a metrics, read or admin token', list: 'needs a read token, a member or an admin', admin: 'needs an admin',
  'server:read': 'needs an admin, or a read token or member covering every app',
  'app:read': 'needs read access to the app', 'app:deploy-log': 'needs deploy or read access to the app',
  'app:deploy': 'needs deploy access to the app', 'app:manage': 'needs an admin, or a member of the app',
};

export function requirement(perm: Permission): string {
  return ROLE_SAYS[perm];
}
