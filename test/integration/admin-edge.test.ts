// The admin edge over HTTPS: the API and git on loopback, reached as https://admin.<domain> through the router;
// plain HTTP redirected (ACME challenges excepted), HSTS once the certificate is a CA's, https:// remotes and
// webhook URLs, a git push over it, and a warning when MINICLOUD_BIND opens the API beyond loopback.
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppInfo } from '../../src/core/index.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { startRedis } from '../helpers/redis.ts';
import { startPebble, untilPebbleIssued, type Pebble } from '../helpers/pebble.ts';
import { freePort, get, until } from '../helpers/net.ts';
import { fixtureRepo, push } from '../helpers/git.ts';
import { hostsFile, runWithHosts } from '../helpers/hosts.ts';

const DOMAIN = 'edge.example.net';
const ADMIN = `admin.${DOMAIN}`;

let redis: Awaited<ReturnType<typeof startRedis>>;
let pebble: Pebble;
let mc: Minicloud;
let root: string;

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string; issuer: string }

/** One HTTPS request to the router for admin.<domain> (SNI and Host), trusting nothing (the test reads the issuer). */
function adminHttps(method: string, path: string, body?: unknown, on: Minicloud = mc, admin = ADMIN): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port: on.httpsPort, servername: admin, method, path, rejectUnauthorized: false, agent: false, timeout: 10_000,
      headers: { host: `${admin}:${on.httpsPort}`, authorization: `Bearer ${on.token}`, 'content-type': 'application/json' },
    }, (res) => {
      const cert = (res.socket as TLSSocket).getPeerCertificate();
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, issuer: String(cert.issuer?.CN ?? '') }));
    });
    req.on('timeout', () => req.destroy(new Error('HTTPS request timed out')));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

beforeAll(async () => {
  redis = await startRedis();
  const httpPort = await freePort();
  pebble = await startPebble(httpPort);
  mc = await startMinicloud(redis.url, {
    MINICLOUD_HTTP_PORT: String(httpPort), MINICLOUD_DOMAIN: DOMAIN,
    MINICLOUD_ACME_DIRECTORY: pebble.directory, MINICLOUD_ACME_EMAIL: 'ops@example.net', MINICLOUD_ACME_CA_BUNDLE: pebble.listenerCa,
    MINICLOUD_ACME_SELF_CHECK: 'off', MINICLOUD_ACME_POLL_INTERVAL: '0.1', MINICLOUD_ACME_RETRY_MIN: '1',
  });
  root = await pebble.root();
});

afterAll(async () => {
  await mc?.stop();
  await pebble?.stop();
  await redis?.stop();
});

describe('the admin edge', () => {
  it('names https://admin.<domain> at start, and the API listens on loopback only', () => {
    expect(mc.output()).toContain(`Dashboard, API and git: https://${ADMIN}:${mc.httpsPort}`);
    expect(mc.output()).toContain(`API and git on http://localhost:${mc.apiPort} (this machine only)`);
    expect(mc.output()).not.toContain('MINICLOUD_BIND=');
  });

  it('redirects plain HTTP to https, except ACME challenges', async () => {
    const r = await get(mc.httpPort, ADMIN, '/api/apps?x=1');
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe(`https://${ADMIN}:${mc.httpsPort}/api/apps?x=1`);
    const challenge = await get(mc.httpPort, ADMIN, '/.well-known/acme-challenge/not-ours');
    expect(challenge).toMatchObject({ status: 404, body: 'no such challenge\n' });
  });

  it("sends HSTS over HTTPS once admin.<domain> has the CA's certificate", async () => {
    await untilPebbleIssued(mc.httpsPort, ADMIN, 20_000)
      .catch((e: Error) => { throw new Error(`${e.message}\n${mc.output()}\n${pebble.output().slice(-3000)}`); });
    const r = await until('HSTS on the admin API', async () => {
      const a = await adminHttps('GET', '/api/apps');
      return a.headers['strict-transport-security'] ? a : undefined;
    }, 30_000);
    expect(r.status).toBe(200);
    expect(r.issuer).toMatch(/^Pebble/);
    expect(r.headers['strict-transport-security']).toBe('max-age=31536000');
    // Not on plain HTTP, where it means nothing.
    const local = await fetch(`${mc.apiUrl}/api/apps`, { headers: { authorization: `Bearer ${mc.token}` } });
    expect(local.headers.get('strict-transport-security')).toBeNull();
  });

  it('prints https:// git remotes and webhook URLs, and takes a git push over HTTPS', async () => {
    const created = await adminHttps('POST', '/api/apps', { name: 'edgy' });
    expect(created.status, created.body).toBe(201);
    const gitUrl = (JSON.parse(created.body) as AppInfo).gitUrl;
    expect(gitUrl).toBe(`https://${ADMIN}:${mc.httpsPort}/git/edgy.git`);
    // Asked on the server's own loopback, the webhook URL is still the public one GitHub can reach.
    const hook = await mc.api<{ payloadUrl: string }>('POST', '/api/apps/edgy/github', { repo: 'octo/edgy' });
    expect(hook.body.payloadUrl).toBe(`https://${ADMIN}:${mc.httpsPort}/webhooks/github`);

    const repo = fixtureRepo('node-hello');
    const ca = join(repo, '..', `pebble-root-${mc.httpsPort}.pem`);
    writeFileSync(ca, root);
    const url = gitUrl.replace('https://', `https://minicloud:${mc.token}@`);
    // GIT_SSL_CAINFO (set on this machine) wins over http.sslCAInfo: trust the test CA through it.
    const r = await runWithHosts(hostsFile([ADMIN]), 'git', ['push', url, 'main'], {
      cwd: repo, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_SSL_CAINFO: ca },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`v1 is live at http://edgy.${DOMAIN}:${mc.httpPort}`);
  });
});

describe('the data dir', () => {
  it('is closed again at every start', async () => {
    chmodSync(mc.dataDir, 0o755);
    await mc.restart();
    // 0700, or 0711 as root with a Unix user per app (they pass through to their own part, never list it).
    expect(statSync(mc.dataDir).mode & 0o077 & ~0o011).toBe(0);
  });
});

describe('MINICLOUD_BIND on another address', () => {
  it('takes pushes (the git hook calls the API where it listens); a self-signed admin edge gets no HSTS', async () => {
    // No ACME here: admin.<domain> is served with a self-signed certificate.
    const other = await startMinicloud(redis.url, { MINICLOUD_BIND: '127.0.0.2', MINICLOUD_DOMAIN: 'self.example.net' });
    try {
      const selfSigned = await adminHttps('GET', '/api/apps', undefined, other, 'admin.self.example.net');
      expect(selfSigned.status).toBe(200);
      expect(selfSigned.issuer).not.toMatch(/^Pebble/);
      expect(selfSigned.headers['strict-transport-security'], 'no HSTS for a self-signed certificate').toBeUndefined();
      expect((await get(other.httpPort, 'admin.self.example.net', '/api/apps')).status).toBe(308);
      const api = `http://127.0.0.2:${other.apiPort}`;
      const created = await fetch(`${api}/api/apps`, { method: 'POST', headers: { authorization: `Bearer ${other.token}`, 'content-type': 'application/json' }, body: '{"name":"bound"}' });
      expect(created.status).toBe(201);
      const r = await push(fixtureRepo('node-hello'), `http://minicloud:${other.token}@127.0.0.2:${other.apiPort}/git/bound.git`);
      expect(r.code, r.output).toBe(0);
      expect(r.output).toContain('v1 is live');
      await fetch(`${api}/api/apps/bound?confirm=bound`, { method: 'DELETE', headers: { authorization: `Bearer ${other.token}` } });
    } finally {
      await other.stop();
    }
  });
});

describe('a wider MINICLOUD_BIND', () => {
  it('warns at start that the API and git would listen in plain HTTP beyond loopback', async () => {
    const open = await startMinicloud(redis.url, { MINICLOUD_BIND: '0.0.0.0', MINICLOUD_DOMAIN: 'wide.example.net', MINICLOUD_HTTPS_PORT: 'off' });
    try {
      expect(open.output()).toContain('MINICLOUD_BIND=0.0.0.0: the API and git listen in plain HTTP beyond this machine');
      expect(open.output()).toContain('Unset MINICLOUD_BIND (the default is 127.0.0.1)');
      // HTTPS off: nothing to redirect to, and no https:// URL is claimed.
      await until('the banner', async () => (open.output().includes('Data in') ? true : undefined));
      expect(open.output()).toContain('Dashboard: http://admin.wide.example.net:');
      expect((await get(open.httpPort, 'admin.wide.example.net', '/dashboard/')).status).toBe(200);
    } finally {
      await open.stop();
    }
  });
});
