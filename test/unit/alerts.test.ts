// Alerts as a channel receives them: real stand-ins (an HTTP webhook receiver, an SMTP server), one message per
// incident and one when it is resolved, the rate limit, hostile receivers that cannot stall anything, masked secrets.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AlertService, HostWatch, alertSettings, parseChannelInput, type AlertSettings } from '../../src/alerts/index.ts';
import { loggerTo } from '../../src/core/index.ts';
import { Store } from '../../src/store/index.ts';
import { startSmtpReceiver, startWebhookReceiver, type SmtpReceiver, type WebhookReceiver } from '../helpers/alert-receivers.ts';
import { until } from '../helpers/net.ts';

let dir: string;
let store: Store;
let hooks: WebhookReceiver;
let smtp: SmtpReceiver;
const logLines: string[] = [];
let settings: AlertSettings;
let alerts: AlertService;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mc-alerts-'));
  store = new Store(join(dir, 'minicloud.db'));
  store.apps.create('shop');
  [hooks, smtp] = await Promise.all([startWebhookReceiver(), startSmtpReceiver()]);
  settings = alertSettings({ MINICLOUD_SMTP_URL: smtp.url, MINICLOUD_SMTP_FROM: 'minicloud <ops@example.org>', MINICLOUD_ALERT_TIMEOUT: '1' }, 'example.org');
  alerts = new AlertService({ store, settings, log: loggerTo((l) => logLines.push(l)) });
});

afterAll(async () => {
  await alerts.idle();
  await Promise.all([hooks.close(), smtp.close()]);
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const fresh = () => {
  for (const c of store.alertChannels.all()) store.alertChannels.remove(c.id);
  hooks.received.length = 0;
  smtp.received.length = 0;
};

it('checks channels: Slack and Discord formats from the URL, --format over it, bad input refused, webhook URLs masked', () => {
  fresh();
  const slack = alerts.add(null, { kind: 'webhook', target: 'https://hooks.slack.com/services/T0/B0/SECRETTOKEN' });
  expect(slack).toMatchObject({ kind: 'webhook', format: 'slack', app: null, target: 'https://hooks.slack.com/…' });
  expect(alerts.add('shop', { kind: 'webhook', target: 'https://discord.com/api/webhooks/1/SECRET2' })).toMatchObject({ format: 'discord', app: 'shop' });
  expect(alerts.add(null, { kind: 'webhook', target: 'https://chat.example.org/hooks/abc', format: 'slack' }).format).toBe('slack');
  expect(JSON.stringify(alerts.channels())).not.toContain('SECRET');
  expect(() => alerts.add(null, { kind: 'webhook', target: 'ftp://example.org/x' })).toThrow(/starts with https:\/\//);
  expect(() => parseChannelInput({ kind: 'webhook', target: 'https://example.org/x', format: 'teams' })).toThrow(/unknown format/); // at the route
  expect(() => alerts.add(null, { kind: 'email', target: 'ops@example.org\r\nBcc: x@evil.test' })).toThrow(/not an e-mail address/);
  expect(() => alerts.add('nope', { kind: 'email', target: 'ops@example.org' })).toThrow(/nope/);
  expect(() => alerts.add(null, { kind: 'webhook', target: 'https://hooks.slack.com/services/T0/B0/SECRETTOKEN' })).toThrow(/already/);
  const noSmtp = new AlertService({ store, settings: { ...settings, smtpUrl: null }, log: loggerTo(() => {}) });
  expect(() => noSmtp.add(null, { kind: 'email', target: 'ops@example.org' })).toThrow(/MINICLOUD_SMTP_URL/);
});

it('announces an incident once on every channel (the server\'s and the app\'s), then once when resolved', async () => {
  fresh();
  alerts.add(null, { kind: 'webhook', target: `${hooks.url}/server` });
  alerts.add('shop', { kind: 'webhook', target: `${hooks.url}/shop` }, true); // an admin's: this host is fine
  alerts.add('shop', { kind: 'email', target: 'dev@example.org' }, true);
  const alert = { kind: 'deploy-failed' as const, key: 'deploy-failed:shop', app: 'shop', title: 'shop: deploy failed', lines: ['npm ERR! missing script: build'], url: 'http://admin.example.org/x' };
  alerts.fire(alert);
  alerts.fire(alert); // the same incident: no second message
  await alerts.idle();
  expect(hooks.received.map((h) => [h.path, h.body.state, h.body.title])).toEqual(expect.arrayContaining([
    ['/server', 'firing', 'shop: deploy failed'], ['/shop', 'firing', 'shop: deploy failed'],
  ]));
  expect(hooks.received).toHaveLength(2);
  expect(smtp.received).toHaveLength(1);
  expect(smtp.received[0]).toMatchObject({ to: ['dev@example.org'], from: 'ops@example.org', subject: '[minicloud] shop: deploy failed' });
  expect(smtp.received[0]!.text).toContain('npm ERR! missing script: build');
  alerts.resolve('deploy-failed:shop', ['Deploy x succeeded.']);
  alerts.resolve('deploy-failed:shop'); // closed already: nothing
  await alerts.idle();
  expect(hooks.received.filter((h) => h.body.state === 'resolved')).toHaveLength(2);
  expect(smtp.received.map((m) => m.subject)).toEqual(['[minicloud] shop: deploy failed', '[minicloud] Resolved: shop: deploy failed']);
  expect(alerts.history('shop').filter((e) => e.kind === 'deploy-failed').map((e) => `${e.state} ${e.delivery}`)).toEqual(Array(6).fill(0).map((_, i) => (i < 3 ? 'resolved sent' : 'firing sent')));
});

it('holds a channel to MINICLOUD_ALERT_RATE messages an hour (ends of incidents it was told of aside); what is held back is in the history', async () => {
  fresh();
  const limited = new AlertService({ store, settings: { ...settings, perHour: 2 }, log: loggerTo(() => {}) });
  const c = limited.add(null, { kind: 'webhook', target: `${hooks.url}/limited` });
  for (const n of [1, 2, 3]) limited.fire({ kind: 'disk-low', key: `rate-${n}`, app: null, title: `incident ${n}`, lines: [] });
  await limited.idle();
  expect(hooks.received.map((h) => h.body.title)).toEqual(['incident 1', 'incident 2']);
  const held = limited.history(null).find((e) => e.title === 'incident 3');
  expect(held).toMatchObject({ channel: c.id, delivery: 'rate-limited' });
  // The end of an incident the channel was told of is always said; of one it never heard of, not beyond the limit.
  limited.resolve('rate-1');
  limited.resolve('rate-3');
  await limited.idle();
  expect(hooks.received.map((h) => `${h.body.state} ${h.body.title}`)).toEqual(['firing incident 1', 'firing incident 2', 'resolved incident 1']);
  expect(limited.history(null).find((e) => e.title === 'incident 3' && e.state === 'resolved')).toMatchObject({ delivery: 'rate-limited' });
});

it('cannot be stalled by a hostile receiver (slow, huge answer, redirect loop); failures recorded, secrets masked', async () => {
  fresh();
  hooks.behave('/slow/SECRETPATH', () => { /* never answers */ });
  hooks.behave('/huge/SECRETPATH', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(1024 * 1024, 120);
    const more = () => { while (res.write(chunk)); };
    res.on('drain', more);
    more();
  });
  hooks.behave('/loop/SECRETPATH', (_req, res) => res.writeHead(302, { location: '/loop/SECRETPATH' }).end());
  const bad = ['slow', 'huge', 'loop'].map((p) => alerts.add(null, { kind: 'webhook', target: `${hooks.url}/${p}/SECRETPATH` }));
  alerts.add(null, { kind: 'webhook', target: `${hooks.url}/good` });
  const started = Date.now();
  alerts.fire({ kind: 'memory-low', key: 'hostile', app: null, title: 'memory low', lines: [] });
  expect(Date.now() - started).toBeLessThan(1000); // fire() never waits on a delivery
  await alerts.idle(); // each delivery ends by MINICLOUD_ALERT_TIMEOUT (1 s here)
  expect(hooks.received.map((h) => h.path)).toEqual(['/good']);
  const outcome = (id: string) => alerts.history(null).find((e) => e.channel === id && e.title === 'memory low');
  expect(outcome(bad[0]!.id)).toMatchObject({ delivery: 'failed', error: 'no answer within 1 s' });
  expect(outcome(bad[1]!.id)).toMatchObject({ delivery: 'sent' }); // a 200 whose body is never read
  expect(outcome(bad[2]!.id)).toMatchObject({ delivery: 'failed', error: expect.stringContaining('redirect') });
  expect(JSON.stringify(alerts.history())).not.toContain('SECRETPATH');
  expect(logLines.join('\n')).not.toContain('SECRETPATH');
  expect(logLines.join('\n')).toContain(`${bad[0]!.id} (http://127.0.0.1:${hooks.port}/…) failed`);
});

it('says how a test message went, per channel: an SMTP server that is gone, a receiver answering 500', async () => {
  fresh();
  hooks.behave('/broken', (_req, res) => res.writeHead(500).end('no'));
  alerts.add(null, { kind: 'webhook', target: `${hooks.url}/broken` });
  alerts.add(null, { kind: 'webhook', target: `${hooks.url}/fine` });
  const gone = new AlertService({ store, settings: { ...settings, smtpUrl: 'smtp://127.0.0.1:1' }, log: loggerTo(() => {}) });
  const mail = gone.add(null, { kind: 'email', target: 'ops@example.org' });
  const results = await gone.test(null);
  expect(results.map((r) => [r.ok, r.error])).toEqual([[false, 'the receiver answered HTTP 500'], [true, null], [false, expect.stringMatching(/ECONNREFUSED/)]]);
  expect(hooks.received.map((h) => [h.path, h.body.state])).toEqual([['/fine', 'test']]);
  expect(gone.history(null).find((e) => e.channel === mail.id)).toMatchObject({ state: 'test', delivery: 'failed' });
  await expect(alerts.test('shop')).rejects.toThrow(/no alert channels/);
});

it('gives up on an SMTP server that accepts the connection and never speaks, within the timeout', async () => {
  fresh();
  const silent = createServer(() => { /* never greets */ });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as AddressInfo).port;
  try {
    const mute = new AlertService({ store, settings: { ...settings, smtpUrl: `smtp://127.0.0.1:${port}` }, log: loggerTo(() => {}) });
    const c = mute.add(null, { kind: 'email', target: 'ops@example.org' });
    const started = Date.now();
    const [r] = await mute.test(null, c.id);
    expect(Date.now() - started).toBeLessThan(5000); // MINICLOUD_ALERT_TIMEOUT is 1 s here
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/within 1 s|Greeting never received|timeout/i) });
  } finally {
    silent.close();
  }
});

it('watches the data directory\'s free space and the host\'s memory against their thresholds: low once, then back above', async () => {
  fresh();
  alerts.add(null, { kind: 'webhook', target: `${hooks.url}/disk` });
  const s: AlertSettings = { ...settings, diskFree: { percent: 100 }, memoryFree: { mb: 0 } };
  const watch = new HostWatch(alerts, s, dir);
  watch.check();
  watch.check();
  await alerts.idle();
  expect(hooks.received.map((h) => [h.body.kind, h.body.state])).toEqual([['disk-low', 'firing']]);
  s.diskFree = { mb: 1 };
  watch.check();
  await until('the resolved message', async () => (hooks.received.length === 2 ? true : undefined));
  expect(hooks.received[1]!.body).toMatchObject({ kind: 'disk-low', state: 'resolved' });
  expect(String(hooks.received[1]!.body.text)).toMatch(/above the threshold of 1 MiB/);
  // The host's available memory, the same way.
  s.memoryFree = { percent: 100 };
  watch.check();
  await until('the memory alert', async () => (hooks.received.length === 3 ? true : undefined));
  expect(hooks.received[2]!.body).toMatchObject({ kind: 'memory-low', state: 'firing', title: 'memory low' });
  expect(String(hooks.received[2]!.body.text)).toMatch(/The host has \d+ MiB of \d+ MiB \([\d.]+%\) available, below 100% \(MINICLOUD_ALERT_MEMORY_FREE\)/);
  s.memoryFree = { mb: 0 };
  watch.check();
  await until('the memory resolution', async () => (hooks.received.length === 4 ? true : undefined));
  expect(hooks.received[3]!.body).toMatchObject({ kind: 'memory-low', state: 'resolved' });
});

it("keeps an app member's webhook off this host and its network: a private address refused, a name resolving to one not dialled", async () => {
  fresh();
  expect(() => alerts.add('shop', { kind: 'webhook', target: `${hooks.url}/member` })).toThrow(/127\.0\.0\.1 is a private address/);
  for (const target of ['http://10.1.2.3/x', 'http://[::1]:7080/x', 'http://169.254.169.254/latest', 'http://[::ffff:127.0.0.1]/x', 'http://0.0.0.0:6379/']) {
    expect(() => alerts.add('shop', { kind: 'webhook', target }), target).toThrow(/private address/);
  }
  // A name is resolved when the message is sent, every address checked: `localhost` is this host.
  const c = alerts.add('shop', { kind: 'webhook', target: `http://localhost:${hooks.port}/member` });
  const [r] = await alerts.test('shop', c.id, 'shop');
  expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/localhost resolves to (127\.0\.0\.1|::1), a private address/) });
  expect(hooks.received).toEqual([]);
  // An admin's channel of the app (and any server-wide one) may point here.
  const admins = alerts.add('shop', { kind: 'webhook', target: `http://localhost:${hooks.port}/admin` }, true);
  expect((await alerts.test('shop', admins.id, 'shop'))[0]).toMatchObject({ ok: true });
  expect(hooks.received.map((h) => h.path)).toEqual(['/admin']);
});
