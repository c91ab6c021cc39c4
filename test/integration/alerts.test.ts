// Alerts end to end: a scripted day of failures on one server (a failed deploy, a crash loop, a failed backup, a data
// directory running out of room, a certificate the CA will not issue, an add-on server that stops) reaches a webhook receiver and an SMTP server
// once each, in the channels' formats, and each "resolved" follow-up does too once the cause is gone.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSmtpReceiver, startWebhookReceiver, type SmtpReceiver, type WebhookReceiver } from '../helpers/alert-receivers.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { freePort, get, until } from '../helpers/net.ts';
import { openBrowser } from '../helpers/browser.ts';
import { startPebble, type Pebble } from '../helpers/pebble.ts';
import { startRedis } from '../helpers/redis.ts';

const APP = 'shop';
const DOMAIN = 'www.alerts-example.org';
let redis: Awaited<ReturnType<typeof startRedis>>;
let pebble: Pebble;
let mc: Minicloud;
let hooks: WebhookReceiver;
let smtp: SmtpReceiver;
let data: string;
let marks: string;
let repo: string;
// The shared Redis for add-ons: this test's own, so it can be stopped and started again on its port.
const ADDON_REDIS = { port: 0, password: 'alerts-test-addon-redis', child: null as ChildProcess | null };

async function startAddonRedis(): Promise<void> {
  const c = spawn('redis-server', ['--port', String(ADDON_REDIS.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', ADDON_REDIS.password], { stdio: ['ignore', 'pipe', 'pipe'] });
  ADDON_REDIS.child = c;
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const on = (d: Buffer) => { out += d; if (out.includes('Ready to accept connections')) resolve(); };
    c.stdout!.on('data', on);
    c.on('exit', (code) => reject(new Error(`the add-on Redis exited (${code}): ${out}`)));
  });
}

async function stopAddonRedis(): Promise<void> {
  const c = ADDON_REDIS.child;
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  await new Promise((r) => { c.once('exit', r); c.kill('SIGTERM'); });
}

// The app crashes at start while this file exists (and on GET /crash): a crash loop the test can start and end.
const SERVER = `const http = require('node:http');
const fs = require('node:fs');
const CRASH = ${JSON.stringify('MARKS/crash')};
if (fs.existsSync(CRASH)) { console.error('crashing on purpose: ' + CRASH + ' exists'); process.exit(1); }
http.createServer((req, res) => {
  if (req.url === '/crash') { res.end('bye'); setTimeout(() => process.exit(1), 50); return; }
  res.end('ok');
}).listen(process.env.PORT, () => console.log('listening on ' + process.env.PORT));
`;

beforeAll(async () => {
  [redis, hooks, smtp] = await Promise.all([startRedis(), startWebhookReceiver(), startSmtpReceiver()]);
  // The data directory on a small file system of its own, so the test can fill it.
  data = mkdtempSync(join(tmpdir(), 'mc-alerts-data-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256m,mode=0700', 'tmpfs', data]);
  marks = mkdtempSync(join(tmpdir(), 'mc-alerts-marks-'));
  chmodSync(marks, 0o755); // the app runs as its own user
  ADDON_REDIS.port = await freePort();
  await startAddonRedis();
  const httpPort = await freePort();
  pebble = await startPebble(httpPort);
  await pebble.pointAt(DOMAIN, '127.0.0.2'); // nothing listens there: Pebble's HTTP-01 check fails
  mc = await startMinicloud(redis.url, {
    MINICLOUD_DATA: data, MINICLOUD_HTTP_PORT: String(httpPort),
    MINICLOUD_SMTP_URL: smtp.url, MINICLOUD_SMTP_FROM: 'minicloud <ops@alerts-example.org>',
    MINICLOUD_ALERT_CHECK_INTERVAL: '0.5', MINICLOUD_ALERT_STABLE: '2',
    MINICLOUD_ALERT_DISK_FREE: '100', MINICLOUD_ALERT_MEMORY_FREE: '0', // 100 MiB; memory never "low" here
    MINICLOUD_ACME_DIRECTORY: pebble.directory, MINICLOUD_ACME_EMAIL: 'ops@alerts-example.org', MINICLOUD_ACME_CA_BUNDLE: pebble.listenerCa,
    MINICLOUD_ACME_SELF_CHECK: 'off', MINICLOUD_ACME_POLL_INTERVAL: '0.1', MINICLOUD_ACME_RETRY_MIN: '1',
    MINICLOUD_REDIS_ADDON_URL: `redis://default:${ADDON_REDIS.password}@127.0.0.1:${ADDON_REDIS.port}`, MINICLOUD_ADDON_CHECK_INTERVAL: '0.5',
  });
  repo = fixtureRepo('node-hello');
  writeFileSync(join(repo, 'server.js'), SERVER.replace('MARKS', marks));
  commitAll(repo, 'crashes on demand');
});

afterAll(async () => {
  await mc?.stop();
  await Promise.all([pebble?.stop(), redis?.stop(), hooks?.close(), smtp?.close(), stopAddonRedis()]);
  // Lazily: processes that outlive minicloud by design (the router daemon) may still be on their way out.
  try { execFileSync('umount', ['-l', data]); } catch { /* not mounted */ }
  for (const d of [data, marks, repo]) if (d) rmSync(d, { recursive: true, force: true });
});

const cli = async (...args: string[]) => {
  const r = await mc.cli(...args);
  expect(r.code, `${args.join(' ')}:\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
};
/** The server channel's JSON messages of one kind, as `state` words in order. */
const states = (kind: string) => hooks.received.filter((h) => h.path === '/ops' && h.body.kind === kind).map((h) => h.body.state);
const waitFor = (kind: string, want: string[]) => until(`${kind}: ${want.join(', ')} at the webhook`, async () => (states(kind).length >= want.length ? states(kind) : undefined));

it('sets up channels with the CLI (listed masked) and says how a test message went on each', async () => {
  await cli('apps:create', APP);
  expect(await cli('alerts:add', 'webhook', `${hooks.url}/ops`)).toMatch(/Added alert channel [0-9a-f]{8}: webhook http:\/\/127\.0\.0\.1:\d+\/… \(json\), for the whole server/);
  await cli('alerts:add', 'email', 'oncall@alerts-example.org');
  await cli('alerts:add', 'webhook', `${hooks.url}/shop-team/T0KEN`, '--app', APP, '--format', 'slack');
  const listed = await cli('alerts');
  expect(listed).toContain('(server)');
  expect(listed).toMatch(/shop\s+webhook\s+slack/);
  expect(listed).not.toContain('T0KEN');
  expect(await cli('alerts:test')).toMatch(/sent[\s\S]*sent/);
  await until('the test e-mail', async () => (smtp.received.length ? true : undefined));
  expect(smtp.received[0]).toMatchObject({ to: ['oncall@alerts-example.org'], subject: '[minicloud] test alert from minicloud' });
  expect(hooks.received.map((h) => [h.path, h.body.state])).toEqual([['/ops', 'test']]);
  const bad = await mc.cli('alerts:add', 'email', 'oncall@alerts-example.org\nBcc: x@evil.test');
  expect(bad.code).toBe(1);
  expect(bad.stderr).toMatch(/not an e-mail address/);
});

it('announces a failed deploy with its last log lines and the link to the whole log, then that it deploys again', async () => {
  expect((await push(repo, mc.gitUrl(APP))).code).toBe(0);
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ ...pkg, scripts: { ...pkg.scripts, build: 'node -e "console.error(\'build broke on purpose\'); process.exit(3)"' } }));
  commitAll(repo, 'broken build');
  expect((await push(repo, mc.gitUrl(APP))).code).not.toBe(0);
  await waitFor('deploy-failed', ['firing']);
  const firing = hooks.received.find((h) => h.path === '/ops' && h.body.kind === 'deploy-failed')!.body;
  expect(firing).toMatchObject({ app: APP, title: `${APP}: deploy failed`, lines: expect.arrayContaining([expect.stringContaining('build broke on purpose')]) });
  // The link opens the deploy's whole log in the dashboard, through the admin edge.
  const url = String(firing.url);
  expect(url).toMatch(new RegExp(`^http://admin\\.localhost:${mc.httpPort}/dashboard#/apps/shop/deploys/[0-9a-f-]{36}$`));
  const { browser, page } = await openBrowser();
  try {
    await page.goto(url);
    await page.getByLabel('API token').fill(mc.token);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('#deploy-log')?.textContent?.includes('build broke on purpose') ?? false);
    await page.waitForFunction(() => document.querySelector('#deploy-state')?.textContent?.startsWith('Failed') ?? false);
  } finally {
    await browser.close();
  }
  writeFileSync(join(repo, 'package.json'), JSON.stringify(pkg));
  commitAll(repo, 'fixed build');
  expect((await push(repo, mc.gitUrl(APP))).code).toBe(0);
  expect(await waitFor('deploy-failed', ['firing', 'resolved'])).toEqual(['firing', 'resolved']);
  const slack = hooks.received.filter((h) => h.path === '/shop-team/T0KEN').map((h) => String(h.body.text));
  expect(slack[0]).toMatch(/^:rotating_light: \*shop: deploy failed\*\n```\n[\s\S]*build broke on purpose/);
  expect(slack[1]).toMatch(/^:white_check_mark: \*Resolved: shop: deploy failed\*/);
});

it('announces a crash loop once, and its end once the app has stayed up', async () => {
  writeFileSync(join(marks, 'crash'), '');
  expect((await get(mc.httpPort, `${APP}.localhost`, '/crash')).body).toBe('bye');
  await waitFor('crash-loop', ['firing']);
  rmSync(join(marks, 'crash'));
  expect(await waitFor('crash-loop', ['firing', 'resolved'])).toEqual(['firing', 'resolved']);
  expect((await get(mc.httpPort, `${APP}.localhost`)).body).toBe('ok');
});

it('announces a failed backup, and the good one after it', async () => {
  const failed = await mc.api<{ status: string }>('POST', `/api/apps/${APP}/backups`);
  expect(failed.body.status).toBe('failed'); // no add-on, no storage: nothing to back up
  await waitFor('backup-failed', ['firing']);
  await cli('storage:add', APP, '/data');
  const good = await mc.api<{ status: string }>('POST', `/api/apps/${APP}/backups`);
  expect(good.body.status).toBe('good');
  expect(await waitFor('backup-failed', ['firing', 'resolved'])).toEqual(['firing', 'resolved']);
});

it('announces a data directory below its free-space threshold, and when it is above it again, across a restart', async () => {
  const filler = join(data, 'filler');
  mkdirSync(data, { recursive: true });
  execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M', 'count=200', 'status=none']);
  await waitFor('disk-low', ['firing']);
  // A restart meanwhile neither announces it again (its first check runs while the disk is still full) nor forgets it.
  await mc.restart();
  rmSync(filler);
  expect(await waitFor('disk-low', ['firing', 'resolved'])).toEqual(['firing', 'resolved']);
  const low = hooks.received.find((h) => h.body.kind === 'disk-low')!.body;
  expect(String(low.text)).toMatch(/has \d+ MiB of 256 MiB \([\d.]+%\) free, below 100 MiB \(MINICLOUD_ALERT_DISK_FREE\)/);
});

it('announces a certificate the CA will not issue, and the renewal that works once DNS points here', async () => {
  await cli('domains:add', APP, DOMAIN);
  await waitFor('cert-renewal', ['firing']);
  const firing = hooks.received.find((h) => h.body.kind === 'cert-renewal')!.body;
  expect(String(firing.text)).toContain(`${DOMAIN} has no certificate from the CA yet`);
  await pebble.unpoint(DOMAIN); // the renewer's next try (backoff from 1 s) succeeds
  expect(await waitFor('cert-renewal', ['firing', 'resolved'])).toEqual(['firing', 'resolved']);
});

it('announces an add-on server that stops answering, and when it answers again', async () => {
  expect((await mc.api('POST', `/api/apps/${APP}/addons`, { kind: 'redis' })).status).toBe(201);
  await stopAddonRedis();
  await waitFor('addon-unreachable', ['firing']);
  const down = hooks.received.find((h) => h.body.kind === 'addon-unreachable')!.body;
  expect(down).toMatchObject({ app: null, title: 'redis add-on server unreachable' });
  await startAddonRedis(); // empty: the next check puts the app's user back, and finds it answering
  expect(await waitFor('addon-unreachable', ['firing', 'resolved'])).toEqual(['firing', 'resolved']);
});

it('sent each alert once and each resolution once, to every channel, and keeps the history', async () => {
  const kinds = ['deploy-failed', 'crash-loop', 'backup-failed', 'disk-low', 'cert-renewal', 'addon-unreachable'];
  for (const k of kinds) expect(states(k), k).toEqual(['firing', 'resolved']);
  const subjects = () => smtp.received.map((m) => m.subject);
  await until('every e-mail', async () => (subjects().length === 1 + kinds.length * 2 ? true : undefined));
  for (const title of ['shop: deploy failed', 'shop: crash-looping', 'shop: backup failed', 'disk space low', 'redis add-on server unreachable']) {
    expect(subjects().filter((s) => s === `[minicloud] ${title}`), title).toHaveLength(1);
    expect(subjects().filter((s) => s === `[minicloud] Resolved: ${title}`), title).toHaveLength(1);
  }
  // The app's own channel gets its app's alerts, not the server's disk.
  const team = hooks.received.filter((h) => h.path === '/shop-team/T0KEN').map((h) => String(h.body.text).split('\n')[0] ?? '');
  expect(team.filter((t) => t.includes('Resolved'))).toHaveLength(4);
  expect(team.join('\n')).not.toContain('disk');
  const history = await cli('alerts:history', '-n', '100');
  expect(history).toMatch(/resolved\s+shop: crash-looping/);
  expect(history).not.toContain('T0KEN');
  const id = /^([0-9a-f]{8})\s+shop/m.exec(await cli('alerts'))![1]!;
  expect(await cli('alerts:remove', id)).toContain(`Removed alert channel ${id}`);
  expect(await cli('alerts', '--app', APP)).toContain('No alert channels for shop');
});
