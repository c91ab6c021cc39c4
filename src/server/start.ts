// The composition root: the parts made in dependency order, each long-lived one registering its stop where it is made
// (lifecycle.ts), then the listeners, the work picked up from before, and the banner.
import { existsSync } from 'node:fs';
import type { Logger } from '../core/index.ts';
import { BackupScheduler } from '../backups/index.ts';
import { sourceTar } from '../pipeline/index.ts';
import { announce } from './banner.ts';
import { startBase, type Base } from './base.ts';
import type { Config } from './config.ts';
import type { Lifecycle } from './lifecycle.ts';
import { startListeners, type Listeners } from './listeners.ts';
import { startParts, type Parts } from './parts.ts';
import { QueueReconciler } from './reconcile-queue.ts';

export async function start(cfg: Config, log: Logger, life: Lifecycle): Promise<void> {
  const base = await startBase(cfg, log, life);
  const parts = await startParts(cfg, base, log, life);
  const listeners = await startListeners(cfg, base, parts, log, life);
  await pickUp(cfg, base, parts, listeners, log, life);
  announce(cfg, base, listeners, log);
}

/** What an earlier process left: running apps, queued deploys, cron schedules; then the periodic checks. */
async function pickUp(cfg: Config, { p, store, deployLog }: Base, parts: Parts, listeners: Listeners, log: Logger, life: Lifecycle): Promise<void> {
  const { formation, queue, cron, git, pipeline, addons, backups, metrics, certs, alerts, previews } = parts;
  await formation.restore();
  listeners.refreshRoutes();
  certs.sync();
  parts.swarm.resume(); // a swarm:init cut short: the instances still in containers move now
  // Each app's cron schedules into Redis: at start, and again whenever Redis answers after being away (it may have lost them).
  const syncAllCron = () => Promise.all(store.apps.list().map((app) => cron.sync(app.name, store.releases.current(app.name)?.artifact.manifest?.cron ?? [])
    .catch((e: unknown) => log.child('cron').error(`${app.name}: cron not scheduled:`, e))));
  for (const app of store.apps.list()) git.installHook(app.name);
  await Promise.all(store.apps.list().map((app) => queue.watch(app.name))); // together: each waits up to 1.5 s for an absent Redis
  // Briefly at most: with Redis away minicloud still starts (apps keep serving); the schedules follow once it is back.
  await Promise.race([syncAllCron(), new Promise((r) => setTimeout(r, 3000).unref())]);
  queue.redis.on('back', () => void syncAllCron());
  // Deploys the database calls unfinished whose job Redis no longer has: queued again, or failed saying so.
  const reconciler = new QueueReconciler({ store, queue, log: deployLog, running: () => pipeline.running, hasSource: (id) => existsSync(sourceTar(p.sources, id)), logger: log.child('queue') });
  reconciler.start();
  life.add('queue check', () => reconciler.stop());
  void reconciler.pass();

  const backupScheduler = new BackupScheduler(store, backups, { log: log.child('backups'), skipped: (app, why) => alerts.sources.backupSkipped(app, why) });
  backupScheduler.start();
  // A backup in progress is let finish: one cut short is worth nothing.
  life.add('backup schedule', () => backupScheduler.stop(), { timeoutMs: Infinity });
  // Shared servers that restarted may have forgotten per-app users (Redis ACLs): put them back, now and every minute.
  const addonLog = log.child('add-ons');
  const restoreAddons = () => void addons.restoreAll(addonLog).then((reach) => alerts.sources.addonsChecked(reach), (e: unknown) => addonLog.error('checking failed:', e));
  restoreAddons();
  const addonTimer = setInterval(restoreAddons, cfg.addonCheckMs);
  addonTimer.unref();
  life.add('add-on check', () => clearInterval(addonTimer));
  // Previews idle past their parent's --expire go, with everything they made; checked every minute.
  const expirePreviews = () => void previews.expire().then((gone) => { for (const a of gone) log.info(`preview ${a} expired: destroyed`); }, (e: unknown) => log.error('expiring previews:', e));
  const previewTimer = setInterval(expirePreviews, 60_000);
  previewTimer.unref();
  life.add('preview expiry', () => clearInterval(previewTimer));
  metrics.start();
  life.add('metrics', () => metrics.close());
  // Disk, memory, and apps healthy again: now and every MINICLOUD_ALERT_CHECK_INTERVAL (stopped with the alerts).
  alerts.start();
}
