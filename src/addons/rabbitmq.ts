// RabbitMQ add-on: one vhost and one user per app, through the management plugin's HTTP API.
import { UserError } from '../core/index.ts';
import { adminUrl, newPassword, unreachable, validateAddonName, withUser, type AdminUrl } from './common.ts';
import type { AddonProvider, Credentials } from './types.ts';

const WHAT = 'the shared RabbitMQ server';
const ENABLE = 'enable the management API on the RabbitMQ host: rabbitmq-plugins enable rabbitmq_management';
const NO_GUEST = 'make an administrator with a password of its own (rabbitmqctl add_user minicloud <password>; '
  + 'rabbitmqctl set_user_tags minicloud administrator; rabbitmqctl set_permissions -p / minicloud ".*" ".*" ".*"), '
  + 'put it in MINICLOUD_RABBITMQ_URL, and delete guest: rabbitmqctl delete_user guest';
const GUEST_AUTH = `Basic ${Buffer.from('guest:guest').toString('base64')}`;

export function rabbitmqProvider(env: NodeJS.ProcessEnv): AddonProvider {
  const amqp = adminUrl(env, 'MINICLOUD_RABBITMQ_URL', WHAT, 'amqp://minicloud:<password>@127.0.0.1:5672', ['amqp:', 'amqps:']);
  if (amqp.user === 'guest' && decodeURIComponent(amqp.url.password) === 'guest') {
    // RabbitMQ's default administrator, whose password everyone knows: every app on its host would be its admin.
    throw new UserError(`${amqp.variable} logs in as guest/guest, RabbitMQ's default administrator: any app on ${amqp.url.hostname}'s host could log in as it too`, NO_GUEST);
  }
  const mgmt = managementUrl(env, amqp);
  // fetch refuses URLs with credentials in them: they go into a Basic header instead.
  const auth = `Basic ${Buffer.from(`${mgmt.user}:${decodeURIComponent(mgmt.url.password)}`).toString('base64')}`;
  const base = `${mgmt.url.origin}${mgmt.url.pathname.replace(/\/$/, '')}/api`;

  /** One management API call; `ok` lists the statuses that count as success besides 2xx. */
  async function api(method: string, path: string, body?: unknown, ok: number[] = []): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method, signal: AbortSignal.timeout(10_000),
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw unreachable(mgmt, `${WHAT}'s management API`, 15672, (e as { cause?: unknown }).cause ?? e, ENABLE);
    }
    if (res.ok || ok.includes(res.status)) return res;
    const text = (await res.text()).slice(0, 300);
    if (res.status === 401) throw new UserError(`${mgmt.variable}: the management API refused its credentials (401)`, 'use an administrator user');
    throw new Error(`RabbitMQ management API: ${method} ${path} answered ${res.status}: ${text}`);
  }

  /**
   * Refuses a server where guest/guest still logs in (from minicloud's side, so from the apps' too when they
   * share its host): its vhosts and passwords would protect nothing. Asked once; a server that cannot be asked
   * is reported by the call that follows.
   */
  let guestChecked: Promise<void> | null = null;
  const noGuest = () => (guestChecked ??= fetch(`${base}/whoami`, { headers: { authorization: GUEST_AUTH }, signal: AbortSignal.timeout(10_000) })
    .then((res) => {
      if (res.status === 200) throw new UserError(`${WHAT} at ${mgmt.url.host} lets guest/guest in: every app that reaches it could log in as its administrator`, NO_GUEST);
    }, () => { guestChecked = null; }));

  return {
    kind: 'rabbitmq',
    async create(name) {
      validateAddonName(name, mgmt.user);
      await noGuest();
      const password = newPassword();
      const v = encodeURIComponent(name);
      await api('PUT', `/vhosts/${v}`, {});
      // PUT on an existing user replaces its password: a re-create hands back working credentials.
      await api('PUT', `/users/${v}`, { password, tags: '' });
      // Permissions are per vhost: the user gets everything here and nothing anywhere else.
      await api('PUT', `/permissions/${v}/${v}`, { configure: '.*', write: '.*', read: '.*' });
      const url = withUser(amqp.appUrl, name, password, `/${v}`);
      return {
        env: { RABBITMQ_URL: url, AMQP_URL: url },
        credentials: { user: name, password, vhost: name, url },
      };
    },
    async destroy(name, credentials: Credentials) {
      validateAddonName(name, mgmt.user);
      const user = validateAddonName(credentials.user ?? name, mgmt.user);
      // Deleting the vhost closes its connections and drops its queues; deleting the user, its other sessions.
      await api('DELETE', `/vhosts/${encodeURIComponent(name)}`, undefined, [404]);
      await api('DELETE', `/users/${encodeURIComponent(user)}`, undefined, [404]);
    },
    async usage(name) {
      const queues = (await (await api('GET', `/queues/${encodeURIComponent(name)}`)).json()) as Array<{ messages?: number }>;
      const n = queues.reduce((a, q) => a + (q.messages ?? 0), 0);
      return `${n} message${n === 1 ? '' : 's'} in ${queues.length} queue${queues.length === 1 ? '' : 's'}`;
    },
    async check() {
      await api('GET', '/overview');
      await noGuest();
    },
    async close() {},
  };
}

/** MINICLOUD_RABBITMQ_MANAGEMENT_URL, else the AMQP URL's credentials and host on the management port. */
function managementUrl(env: NodeJS.ProcessEnv, amqp: AdminUrl): AdminUrl {
  const variable = 'MINICLOUD_RABBITMQ_MANAGEMENT_URL';
  if (env[variable]?.trim()) {
    return adminUrl(env, variable, `${WHAT}'s management API`, 'http://minicloud:<password>@127.0.0.1:15672', ['http:', 'https:']);
  }
  const tls = amqp.url.protocol === 'amqps:';
  const u = new URL(`${tls ? 'https' : 'http'}://${amqp.url.hostname}:${tls ? 15671 : 15672}`);
  u.username = amqp.url.username;
  u.password = amqp.url.password;
  return { variable: `${variable} (derived from MINICLOUD_RABBITMQ_URL)`, url: u, user: decodeURIComponent(u.username), appUrl: u };
}
