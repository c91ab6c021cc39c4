// What minicloud announces, fact by fact: crash loops and failing health checks (and when an app counts as healthy
// again), add-on servers, certificate orders, skipped backups, failed deploys; read back from the alert history.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AlertService, Alerts, ProcessWatch, alertSettings } from '../../src/alerts/index.ts';
import { loggerTo } from '../../src/core/index.ts';
import { Store, type StoredInstance } from '../../src/store/index.ts';

let dir: string;
let store: Store;
let alerts: AlertService;
const settings = alertSettings({ MINICLOUD_ALERT_STABLE: '60', MINICLOUD_ALERT_CRASHES: '3' }, 'example.org');
let clock = Date.parse('2026-12-01T10:00:00Z');
const now = () => clock;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-alerts-watch-'));
  store = new Store(join(dir, 'minicloud.db'));
  for (const app of ['shop', 'blog']) store.apps.create(app);
  alerts = new AlertService({ store, settings, log: loggerTo(() => {}), now });
});

afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The history of one kind, oldest first, as `state title`. */
const said = (kind: string) => alerts.history(undefined, 1000).filter((e) => e.kind === kind).reverse().map((e) => `${e.state} ${e.title}`);

const instance = (app: string, state: StoredInstance['state'], startedAt: number): StoredInstance => ({
  id: `${app}-web-1`, app, release: 1, type: 'web', host: '127.0.0.1', port: 40000, pid: null, handle: null, state,
  startedAt: new Date(startedAt).toISOString(), restarts: 0, nextRestartAt: null,
});

it('calls it a crash loop at the third crash within 10 minutes, once; healthy again after all instances stayed up', () => {
  const watch = new ProcessWatch(store, alerts, settings, now);
  watch.crashed('shop', 'web', 1, 1000);
  clock += 11 * 60_000; // the first crash falls out of the window
  watch.crashed('shop', 'web', 1, 1000);
  watch.crashed('shop', 'web', 1, 2000);
  expect(said('crash-loop')).toEqual([]);
  watch.crashed('shop', 'web', 137, 4000, 'oom');
  watch.crashed('shop', 'web', 137, 8000, 'oom');
  expect(said('crash-loop')).toEqual(['firing shop: crash-looping']);
  expect(store.alertIncidents.get('crash-loop:shop')).toMatchObject({ kind: 'crash-loop' });
  store.instances.save(instance('shop', 'up', clock));
  watch.check();
  clock += 30_000; // up, but not for MINICLOUD_ALERT_STABLE yet
  watch.check();
  expect(said('crash-loop')).toHaveLength(1);
  clock += 31_000;
  watch.check();
  expect(said('crash-loop')).toEqual(['firing shop: crash-looping', 'resolved shop: crash-looping']);
  const text = alerts.history('shop').find((e) => e.kind === 'crash-loop' && e.state === 'firing');
  expect(text?.delivery).toBe('no-channel'); // recorded even with nowhere to send it
});

it('announces failing health checks once per incident; a stopped app ends it', () => {
  const watch = new ProcessWatch(store, alerts, settings, now);
  watch.unhealthy('blog', 'web', 'no answer within 5 s', 3);
  watch.unhealthy('blog', 'web', 'no answer within 5 s', 3);
  expect(said('unhealthy')).toEqual(['firing blog: failing its health checks']);
  store.apps.setState('blog', 'stopped');
  watch.check();
  expect(said('unhealthy')).toEqual(['firing blog: failing its health checks', 'resolved blog: failing its health checks']);
});

it('follows the shared add-on servers: unreachable once, back, and over when no app uses one', () => {
  const a = new Alerts({ store, settings, log: loggerTo(() => {}), dataDir: dir, logUrl: () => '' });
  a.sources.addonsChecked(new Map([['redis', 'connect ECONNREFUSED 127.0.0.1:6390'], ['postgres', null]]));
  a.sources.addonsChecked(new Map([['redis', 'connect ECONNREFUSED 127.0.0.1:6390']]));
  expect(a.service.history(null).filter((e) => e.kind === 'addon-unreachable').map((e) => e.state)).toEqual(['firing']);
  a.sources.addonsChecked(new Map([['redis', null]]));
  a.sources.addonsChecked(new Map([['rabbitmq', 'timed out']]));
  a.sources.addonsChecked(new Map());
  expect(a.service.history(null).filter((e) => e.kind === 'addon-unreachable').reverse().map((e) => `${e.state} ${e.title}`)).toEqual([
    'firing redis add-on server unreachable', 'resolved redis add-on server unreachable',
    'firing rabbitmq add-on server unreachable', 'resolved rabbitmq add-on server unreachable',
  ]);
});

it('counts the days the served certificate has left when its renewal fails, and says a skipped backup', () => {
  const a = new Alerts({ store, settings, log: loggerTo(() => {}), dataDir: dir, logUrl: () => '' });
  const notAfter = new Date(Date.now() + 9.5 * 86400_000).toISOString();
  a.sources.certOrdered({ domain: 'www.shop.example', app: 'shop', ok: false, error: 'DNS problem', failures: 2, notAfter, nextAttempt: null });
  expect(store.alertIncidents.get('cert-renewal:www.shop.example')?.title).toBe('www.shop.example: certificate not renewed (9 days left)');
  a.sources.certOrdered({ domain: 'www.shop.example', app: 'shop', ok: true, error: null, failures: 0, notAfter, nextAttempt: null });
  expect(store.alertIncidents.get('cert-renewal:www.shop.example')).toBeNull();
  a.sources.backupSkipped('shop', 'a backup or restore of shop is already running');
  expect(store.alertIncidents.get('backup-failed:shop')?.title).toBe('shop: scheduled backup skipped');
  a.sources.backupFinished({ app: 'shop', id: 'b1', status: 'unverified', error: null, trigger: 'scheduled' });
  expect(store.alertIncidents.get('backup-failed:shop')).toBeNull();
});
