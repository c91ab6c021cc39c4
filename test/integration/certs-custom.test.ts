// A user's own certificate (`certs:add`): a CA made with openssl (root, intermediate, an OCSP responder), a leaf and a
// wildcard added through the CLI and served by SNI (stapled), the refusals (key, expiry, domain, garbage, order, size),
// a restart, scoping to the app's managers, the expiry alert, and `certs:remove` back to the default certificate.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CertsReport } from '../../src/core/index.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/alert-receivers.ts';
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { until } from '../helpers/net.ts';
import { startTestCa, type TestCa } from '../helpers/ocsp-ca.ts';
import { startRedis } from '../helpers/redis.ts';

const APP = 'ccshop';
const OTHER = 'ccother';
const WWW = 'www.certs-custom.example.org';
const WILD = 'wild.certs-custom.example.org';
const [A, B, DEEP] = [`a.${WILD}`, `b.${WILD}`, `deep.x.${WILD}`];

let redis: Awaited<ReturnType<typeof startRedis>>;
let ca: TestCa;
let mc: Minicloud;
let hooks: WebhookReceiver;
let dir: string;
const files: Record<string, string> = {};

interface Seen { status: number; serial: string; issuer: string; authorized: boolean; staple: boolean }

/** One HTTPS request to the router for `host` (SNI and Host) on a new connection, trusting only the test's root. */
function httpsGet(host: string): Promise<Seen> {
  return new Promise((resolve, reject) => {
    let staple = false;
    const req = https.request({
      host: '127.0.0.1', port: mc.httpsPort, servername: host, path: '/', headers: { host }, agent: false, timeout: 20_000,
      ca: ca.root, rejectUnauthorized: false, ...({ requestOCSP: true } as ConnectionOptions),
    }, (res) => {
      const socket = res.socket as TLSSocket;
      const cert = socket.getPeerCertificate();
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, serial: cert.serialNumber, issuer: String(cert.issuer.CN), authorized: socket.authorized, staple }));
    });
    req.on('socket', (s) => s.on('OCSPResponse', (r: Buffer) => void (staple = Boolean(r?.length))));
    req.on('timeout', () => req.destroy(new Error('HTTPS request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Only the handshake: the certificate served for `host`. */
function served(host: string): Promise<{ serial: string; org: string }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: mc.httpsPort, servername: host, rejectUnauthorized: false, timeout: 20_000 }, () => {
      const cert = s.getPeerCertificate();
      resolve({ serial: cert.serialNumber, org: String(cert.issuer.O ?? cert.issuer.CN) });
      s.destroy();
    });
    s.on('timeout', () => s.destroy(new Error('TLS handshake timed out')));
    s.on('error', reject);
  });
}

const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
const write = (name: string, text: string) => { writeFileSync(join(dir, name), text); files[name] = join(dir, name); };
const report = async () => (await mc.api<CertsReport>('GET', `/api/apps/${APP}/certs`)).body;

/** A self-signed certificate for `name` valid only in 2020 (made with `openssl ca`, which takes explicit dates). */
function expired(name: string): void {
  writeFileSync(join(dir, 'ca.cnf'), '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\ncopy_extensions=copy\n[p]\ncommonName=supplied\n');
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '01\n');
  ossl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'old.key', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`, '-out', 'old.csr']);
  ossl(['ca', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'old.key', '-in', 'old.csr', '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-batch', '-notext', '-out', 'old.pem']);
  files['old.pem'] = join(dir, 'old.pem');
  files['old.key'] = join(dir, 'old.key');
}

beforeAll(async () => {
  [redis, ca, hooks] = await Promise.all([startRedis(), startTestCa(), startWebhookReceiver()]);
  dir = mkdtempSync(join(tmpdir(), 'mc-certs-custom-'));
  const www = ca.leaf(WWW, 'C0C1', 'ok');
  const wild = ca.leaf(`*.${WILD}`, 'C0C2', 'ok');
  await ca.answer();
  write('www.pem', www.certPem);
  write('www.key', www.keyPem);
  write('wild.pem', wild.certPem);
  write('wild.key', wild.keyPem);
  expired(WWW);
  mc = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'process' });
  for (const name of [APP, OTHER]) expect((await mc.api('POST', '/api/apps', { name })).status).toBe(201);
  for (const domain of [WWW, A, B, DEEP]) expect((await mc.api('POST', `/api/apps/${APP}/domains`, { domain })).status).toBe(201);
  expect((await mc.cli('alerts:add', 'webhook', `${hooks.url}/cc`, '--app', APP)).code).toBe(0);
  const r = await push(fixtureRepo('node-hello'), mc.gitUrl(APP));
  expect(r.code, r.output).toBe(0);
});

afterAll(async () => {
  await mc?.stop();
  await Promise.all([ca?.stop(), redis?.stop(), hooks?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('certs:add serves the chain by SNI at once, stapled, listed as custom; the key stays on the server', async () => {
  const before = await served(WWW);
  expect(before.org).toBe('minicloud self-signed');
  const r = await mc.cli('certs:add', APP, '--cert', files['www.pem']!, '--key', files['www.key']!);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain(`Custom certificate added for ${APP}: ${WWW}`);
  expect(r.stdout.split('\n').find((l) => l.startsWith(WWW))).toMatch(/valid\s+minicloud test intermediate\s+\d{4}-.*custom$/);
  expect(r.stdout).toContain(`${WWW}: custom certificate for ${WWW}`);
  const seen = await until('the custom certificate served with its OCSP staple', async () => {
    const s = await httpsGet(WWW);
    return s.serial === 'C0C1' && s.staple ? s : undefined;
  }, 60_000);
  expect(seen).toMatchObject({ status: 200, authorized: true, issuer: 'minicloud test intermediate' });
  expect((await report()).domains.find((d) => d.domain === WWW)).toMatchObject({ kind: 'custom', status: 'valid', serial: 'C0C1', names: [WWW], nextAttempt: null });
  // The key: mode 0600 on disk, never in a listing, the log or the audit log.
  const key = join(mc.dataDir, 'certs', '_custom', WWW, 'key.pem');
  expect(statSync(key).mode & 0o777).toBe(0o600);
  const keyBody = readFileSync(files['www.key']!, 'utf8').split('\n')[1]!;
  expect(JSON.stringify(await report())).not.toContain('PRIVATE KEY');
  expect(mc.output()).not.toContain(keyBody);
  const audit = JSON.stringify((await mc.api('GET', `/api/audit?app=${APP}`)).body);
  expect(audit).toContain('certs:add');
  expect(audit).not.toContain('PRIVATE');
  // ca.leaf's certificates live two days: the alert goes out at once (14 days ahead).
  const alert = await until('the expiry alert', async () => hooks.received.find((h) => h.path === '/cc' && h.body.kind === 'cert-renewal'));
  expect(alert.body).toMatchObject({ state: 'firing', app: APP, title: expect.stringMatching(new RegExp(`^${WWW.replaceAll('.', '\\.')}: custom certificate expires in [01] days$`)) });
});

it('a wildcard covers one label: both names served, a deeper name refused', async () => {
  const r = await mc.cli('certs:add', APP, files['wild.pem']!, files['wild.key']!); // Heroku's order: chain, key
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain(`Custom certificate added for ${APP}: ${A}, ${B}`);
  for (const host of [A, B]) {
    const s = await until(`${host} served with the wildcard`, async () => { const x = await httpsGet(host); return x.serial === 'C0C2' ? x : undefined; });
    expect(s.authorized).toBe(true);
  }
  const deep = await mc.cli('certs:add', APP, '--cert', files['wild.pem']!, '--key', files['wild.key']!, '--domain', DEEP);
  expect(deep.code).not.toBe(0);
  expect(deep.stderr).toContain(`the certificate does not cover ${DEEP}: it is for *.${WILD}`);
  expect((await served(DEEP)).org).toBe('minicloud self-signed');
});

it('refuses a mismatched key, an expired certificate, a wrong domain, garbage, a reversed chain, with the reason', async () => {
  write('garbage.pem', 'hello, this is not a certificate\n');
  const [leaf, int] = readFileSync(files['www.pem']!, 'utf8').split(/(?<=-----END CERTIFICATE-----\n)/);
  write('reversed.pem', `${int}${leaf}`);
  const cases: [string[], string][] = [
    [['--cert', files['www.pem']!, '--key', files['wild.key']!], 'the key does not match the certificate'],
    [['--cert', files['old.pem']!, '--key', files['old.key']!], 'the certificate expired on 2020-01-02T00:00:00.000Z'],
    [['--cert', files['www.pem']!, '--key', files['www.key']!, '--domain', A], `the certificate does not cover ${A}: it is for ${WWW}`],
    [['--cert', files['garbage.pem']!, '--key', files['www.key']!], 'the certificate is not PEM'],
    [['--cert', files['www.pem']!, '--key', files['garbage.pem']!], 'the private key does not parse'],
    [['--cert', files['reversed.pem']!, '--key', files['www.key']!], 'the chain is out of order'],
  ];
  for (const [args, reason] of cases) {
    const r = await mc.cli('certs:add', APP, ...args);
    expect(r.code, args.join(' ')).not.toBe(0);
    expect(r.stderr).toContain(reason);
  }
  // Hostile sizes through the API: 10 MB, and a chain of 1,000 certificates, both refused before any parsing.
  const huge = await mc.api('POST', `/api/apps/${APP}/certs`, { cert: 'A'.repeat(10 * 1024 * 1024), key: 'x' });
  expect(huge.status).toBe(413);
  const many = await mc.api<{ error: string }>('POST', `/api/apps/${APP}/certs`, { cert: leaf!.repeat(1000), key: readFileSync(files['www.key']!, 'utf8') });
  expect(many.status).toBe(400);
  expect(many.body.error).toMatch(/at most/);
  // The refusals changed nothing.
  expect((await served(WWW)).serial).toBe('C0C1');
});

it('only someone who manages the app may add or remove one', async () => {
  const password = 'correct horse battery staple 42';
  expect((await mc.api('POST', '/api/users', { email: 'cc-member@example.org', role: 'member', apps: [OTHER], password })).status).toBe(201);
  const made = await fetch(`${mc.apiUrl}/api/tokens`, {
    method: 'POST', body: '{"name":"cc-laptop"}',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`cc-member@example.org:${password}`).toString('base64')}` },
  });
  expect(made.status).toBe(201);
  const token = ((await made.json()) as { token: string }).token;
  const add = await mc.cliAs(token, 'certs:add', APP, '--cert', files['www.pem']!, '--key', files['www.key']!);
  expect(add.code).not.toBe(0);
  expect(add.stderr).toMatch(/403|not allowed|forbidden|may not/i);
  const del = await fetch(`${mc.apiUrl}/api/apps/${APP}/certs`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  expect([403, 404]).toContain(del.status);
  expect((await served(WWW)).serial).toBe('C0C1');
});

it('a restart keeps it; certs:remove goes back to the default certificate', async () => {
  await mc.restart();
  await until('the custom certificate after a restart', async () => ((await served(WWW)).serial === 'C0C1' ? true : undefined));
  const r = await mc.cli('certs:remove', APP, '--domain', WWW);
  expect(r.code, r.stderr).toBe(0);
  await until('the self-signed certificate back', async () => ((await served(WWW)).org === 'minicloud self-signed' ? true : undefined));
  expect((await report()).domains.find((d) => d.domain === WWW)).toMatchObject({ kind: 'self-signed', status: 'self-signed' });
  expect((await served(A)).serial).toBe('C0C2'); // the wildcard's names keep theirs
  const again = await mc.cli('certs:remove', APP, '--domain', WWW);
  expect(again.code).not.toBe(0);
  expect(again.stderr).toContain(`${APP} has no custom certificate for ${WWW}`);
  expect((await mc.cli('certs:remove', APP)).code).toBe(0);
  await until('the wildcard names back to self-signed', async () => ((await served(B)).org === 'minicloud self-signed' ? true : undefined));
});

it('follows its app: apps:rename keeps it serving under the new name, apps:destroy removes it and its key from disk', async () => {
  expect((await mc.cli('certs:add', APP, files['wild.pem']!, files['wild.key']!)).code).toBe(0);
  await until('the wildcard served again', async () => ((await served(A)).serial === 'C0C2' ? true : undefined));
  const renamed = `${APP}2`;
  const r = await mc.cli('apps:rename', APP, renamed);
  expect(r.code, r.stderr).toBe(0);
  expect((await served(A)).serial).toBe('C0C2');
  await until('the renamed app answering on its name', async () => ((await served(B)).serial === 'C0C2' ? true : undefined));
  const listed = (await mc.api<CertsReport>('GET', `/api/apps/${renamed}/certs`)).body;
  expect(listed.domains.find((d) => d.domain === A)).toMatchObject({ kind: 'custom', status: 'valid' });
  const stored = () => readdirSync(join(mc.dataDir, 'certs', '_custom')).filter((d) => d.includes('wild'));
  expect(stored().length).toBeGreaterThan(0);
  expect((await mc.cli('apps:destroy', renamed, '--confirm', renamed)).code).toBe(0);
  expect(stored()).toEqual([]);
  // A new app given the same name and domain starts with the CA's (here self-signed) certificate, not the old key's.
  expect((await mc.api('POST', '/api/apps', { name: renamed })).status).toBe(201);
  expect((await mc.api('POST', `/api/apps/${renamed}/domains`, { domain: A })).status).toBe(201);
  await until('a self-signed certificate for the new app', async () => ((await served(A)).org === 'minicloud self-signed' ? true : undefined));
});
