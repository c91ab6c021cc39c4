// Isolation contract: a hostile app tries to reach what is not its own, on every runtime; each attempt must be refused.
// Shared servers here require passwords (started by this file on free ports: the machine's are trust-authenticated).
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startOwnMariadb, startOwnPostgres, startOwnRabbitmq, startOwnRedis, type OwnServer } from '../helpers/own-servers.ts';
import { docker, dockerHost } from '../helpers/docker.ts';
import { execFileSync } from 'node:child_process';

dockerHost();

interface Attempt { got: boolean; detail: string }
interface Instance { pid: number | null; host: string; port: number; type: string }

const ids = () => randomBytes(3).toString('hex');

/** GET through the router with a generous ceiling: each attempt has its own 2 s bound, all together take a while. */
function slowGet(port: number, host: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, timeout: 120_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('the report took over 120 s')));
    req.on('error', reject);
    req.end();
  });
}
let servers: OwnServer[] = [];
let pg: OwnServer;
let my: OwnServer;
let rd: OwnServer;
let rq: OwnServer & { managementUrl: string }; // no guest: the machine's own RabbitMQ lets guest/guest in from loopback

beforeAll(async () => {
  servers = [pg, my, rd, rq] = await Promise.all([startOwnPostgres(), startOwnMariadb(), startOwnRedis(), startOwnRabbitmq()]);
});
afterAll(async () => { await Promise.all(servers.map((s) => s.stop())); });

interface Subject {
  runtime: 'process' | 'docker';
  name?: string;
  env?: Record<string, string>;
  teardown?(): void;
  /** Where the app finds its own volume. */
  ownVolume: string;
  /** The victim's address as another app would try it directly. */
  direct(mc: Minicloud, app: string, i: Instance): Promise<string>;
  /** Attempts only this runtime has (Docker: the victim's own network), as the attacker's config. */
  more?(app: string): Record<string, string>;
}

const NETWORK = `mc-iso-${ids()}`;
const OWN_ONLY = `mc-isown-${ids()}`;
const subjects: Subject[] = [
  { runtime: 'process', name: 'process', ownVolume: 'data', direct: async (_mc, _app, i) => `http://127.0.0.1:${i.port}/` },
  dockerSubject(NETWORK, {}, 'docker'),
  // The installer's layout (minicloud in a container cannot fence the shared bridge): each app on its own network only.
  dockerSubject(OWN_ONLY, { MINICLOUD_DOCKER_PEERS: '' }, 'docker (own network only)'),
];

function dockerSubject(NETWORK: string, env: Record<string, string>, name: string): Subject {
  return {
    runtime: 'docker', name, ownVolume: 'data', direct: async (_mc, _app, i) => `http://${i.host}:${i.port}/`,
    env: { DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: NETWORK, ...env },
    // The victim's web container on the victim's own network: by its address there, and by its name.
    more: (app) => {
      const net = JSON.parse(docker('network', 'inspect', `${NETWORK}-app-${app}`)) as Array<{ Containers: Record<string, { Name: string; IPv4Address: string }> }>;
      const web = Object.values(net[0]!.Containers).find((c) => c.Name.startsWith(`mc-${app}-web-`))!;
      return { HOSTILE_VICTIM_APP_NET_URL: `http://${web.IPv4Address.split('/')[0]}:5000/`, HOSTILE_VICTIM_BY_NAME_URL: `http://${app}-web:5000/` };
    },
    teardown() {
      const own = docker('network', 'ls', '-q', '--filter', `name=${NETWORK}-app-`).split('\n').filter(Boolean);
      for (const n of [NETWORK, `${NETWORK}-build`, ...own]) { try { docker('network', 'rm', n); } catch { /* never made, or gone with its app */ } }
      // The rules minicloud added for this test's networks (their bridges are gone with them).
      for (const chain of ['INPUT', 'FORWARD']) {
        const rules = execFileSync('iptables', ['-w', '-S', chain], { encoding: 'utf8' }).split('\n')
          .filter((l) => l.includes(`minicloud-icc-${NETWORK} `) || l.includes(`minicloud-build-${NETWORK}-build `) || l.includes(`minicloud-appnet-${NETWORK}-app-`));
        for (const r of rules) execFileSync('iptables', ['-w', '-D', ...r.split(' ').slice(1)]);
      }
    },
  };
}

describe.each(subjects)('an app on the $name runtime', (subject) => {
  let mc: Minicloud;
  const canary = `canary-${ids()}`;
  const victim = `victim-${ids()}`;
  const attacker = `attacker-${ids()}`;
  let report: Record<string, Attempt>;

  const deploy = async (app: string, config: Record<string, string>) => {
    expect((await mc.api('POST', '/api/apps', { name: app })).status).toBe(201);
    for (const kind of ['postgres', 'mariadb', 'redis', 'rabbitmq']) {
      const r = await mc.api('POST', `/api/apps/${app}/addons`, { kind });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    expect((await mc.api('POST', `/api/apps/${app}/storage`, { path: '/data' })).status).toBe(201);
    expect((await mc.api('PATCH', `/api/apps/${app}/config`, config)).status).toBe(200);
    const pushed = await push(fixtureRepo('hostile'), mc.gitUrl(app));
    expect(pushed.code, pushed.output).toBe(0);
  };
  const web = async (app: string) => (await mc.api<Instance[]>('GET', `/api/apps/${app}/ps`)).body.find((i) => i.type === 'web')!;
  const config = async (app: string) => (await mc.api<Record<string, string>>('GET', `/api/apps/${app}/config`)).body;

  beforeAll(async () => {
    mc = await startMinicloud('', {
      REDIS_URL: '', // minicloud's own private Redis, which apps must not reach
      MINICLOUD_RUNTIME: subject.runtime, MINICLOUD_TEST_CANARY: canary, MINICLOUD_APP_PIDS: '300',
      MINICLOUD_POSTGRES_URL: pg.url, MINICLOUD_MARIADB_URL: my.url, MINICLOUD_REDIS_ADDON_URL: rd.url,
      MINICLOUD_RABBITMQ_URL: rq.url, MINICLOUD_RABBITMQ_MANAGEMENT_URL: rq.managementUrl,
      ...subject.env,
    });
    await deploy(victim, { HOSTILE_OWN_VOLUME: subject.ownVolume });
    const v = await web(victim);
    const vConfig = await config(victim);
    const releases = join(mc.dataDir, 'builds', victim); // host processes only; a container has none of it
    await deploy(attacker, {
      HOSTILE_DATA_DIR: mc.dataDir, HOSTILE_MINICLOUD_PID: String(mc.pid()), HOSTILE_CANARY: canary,
      HOSTILE_VICTIM_RELEASE: join(releases, (subject.runtime === 'process' && readdirSync(releases)[0]) || 'none'), HOSTILE_VICTIM_VOLUME: join(mc.dataDir, 'volumes', victim, 'data'),
      HOSTILE_VICTIM_PID: String(v.pid ?? 0), HOSTILE_VICTIM_URL: await subject.direct(mc, victim, v), HOSTILE_VICTIM_URL6: `http://[::1]:${v.port}/`,
      HOSTILE_PRIVATE_REDIS: join(mc.dataDir, 'redis', 'redis.sock'), HOSTILE_DOCKER_SOCKET: (process.env.DOCKER_HOST ?? '').replace(/^unix:\/\//, ''),
      HOSTILE_POSTGRES: `${pg.host}:${pg.port}`, HOSTILE_VICTIM_POSTGRES_USER: decodeURIComponent(new URL(vConfig.POSTGRES_URL!).username),
      HOSTILE_MARIADB: `${my.host}:${my.port}`, HOSTILE_VICTIM_MARIADB_USER: decodeURIComponent(new URL(vConfig.MARIADB_URL!).username),
      HOSTILE_REDIS: `${rd.host}:${rd.port}`, HOSTILE_VICTIM_REDIS_USER: decodeURIComponent(new URL(vConfig.REDIS_URL!).username),
      HOSTILE_RABBITMQ: `${rq.host}:${rq.port}`, HOSTILE_VICTIM_RABBITMQ_USER: decodeURIComponent(new URL(vConfig.RABBITMQ_URL!).username),
      HOSTILE_VICTIM_RABBITMQ_VHOST: decodeURIComponent(new URL(vConfig.RABBITMQ_URL!).pathname.slice(1)),
      ...subject.more?.(victim),
    });
    // Each attempt has its own 2 s bound; all together may take a while on a busy machine.
    const res = await slowGet(mc.httpPort, `${attacker}.localhost`, '/report');
    expect(res.status, res.body).toBe(200);
    report = JSON.parse(res.body) as Record<string, Attempt>;
  });
  afterAll(async () => { await mc?.stop(); subject.teardown?.(); });

  it('tried everything it was meant to (the report is complete)', () => {
    const more = subject.runtime === 'docker' ? ['reachOtherAppByName', 'reachOtherAppNetwork'] : [];
    expect(Object.keys(report).sort()).toEqual([
      ...more,
      'dockerSocket', 'forkWithoutBound', 'listDataDir', 'mariadbAsAdmin', 'mariadbAsOtherApp', 'postgresAsAdmin', 'postgresAsOtherApp',
      'privateRedis', 'rabbitmqAsAdmin', 'rabbitmqAsGuest', 'rabbitmqAsOtherApp', 'rabbitmqOtherAppVhost', 'reachOtherAppDirectly', 'reachOtherAppOverIpv6', 'readAdminToken', 'readDatabase', 'readHookConfig', 'readMinicloudEnviron',
      'readOtherAppRelease', 'readOtherAppVolume', 'redisAsDefaultUser', 'redisAsOtherApp', 'signalMinicloud', 'signalOtherApp',
      'testDockerSocket', 'writeOtherAppRelease', 'writeOtherAppVolume',
    ].sort());
  });

  it('got nothing that is not its own', () => {
    const got = Object.entries(report).filter(([, a]) => a.got).map(([name, a]) => `${name}: ${a.detail}`);
    expect(got).toEqual([]);
  });

  it('still reaches its own storage and the other app still serves, through the router', async () => {
    const victimSays = (await get(mc.httpPort, `${victim}.localhost`, '/')).body;
    const attackerSays = (await get(mc.httpPort, `${attacker}.localhost`, '/')).body;
    expect(victimSays).toMatch(/^hostile \d+ uid \d+/);
    expect(readFileSync(join(mc.dataDir, 'volumes', victim, 'data', 'secret.txt'), 'utf8')).toBe('mine\n');
    if (subject.runtime === 'process') {
      const uid = (s: string) => Number(/uid (\d+)/.exec(s)![1]);
      expect(uid(attackerSays)).not.toBe(0);
      expect(uid(attackerSays)).not.toBe(uid(victimSays));
      // Its build ran as the app's user too (npm run build), not as root.
      expect(/built-by (\d+)/.exec(attackerSays)?.[1]).toBe(String(uid(attackerSays)));
      // Its own RabbitMQ vhost opens with its own credentials: the refusals above are the server's, not a broken client.
      const own = await get(mc.httpPort, `${attacker}.localhost`, '/own-rabbitmq');
      const url = new URL((await config(attacker)).RABBITMQ_URL!);
      expect(own.body).toBe(`opened vhost ${decodeURIComponent(url.pathname.slice(1))} as ${decodeURIComponent(url.username)}\n`);
    }
  });

  it.runIf(subject.runtime === 'docker')("reaches its own other containers by name on its own network (another app's are refused above)", async () => {
    for (const name of ['worker', `${attacker}-worker`]) {
      const r = await get(mc.httpPort, `${attacker}.localhost`, `/peer?url=${encodeURIComponent(`http://${name}:5000/`)}`);
      expect(r.body, name).toMatch(/^200 hostile \d+ uid \d+/);
    }
  });

  it('runs one-off commands (minicloud run) as the app, never as root', async () => {
    const webUid = Number(/uid (\d+)/.exec((await get(mc.httpPort, `${attacker}.localhost`, '/')).body)![1]);
    const r = await mc.cli('run', attacker, '--', 'id', '-u');
    expect(r.code, r.stderr).toBe(0);
    expect(Number(r.stdout.trim().split('\n').pop())).toBe(webUid);
    expect(webUid).not.toBe(0);
  });
});
