// The alert service: channels (add, remove, list, test), incidents (each failure announced once, then once more when
// resolved) and delivery in the background, rate-limited per channel, every outcome recorded in the history.
import { NotFoundError, UserError, type AlertChannelInfo, type AlertChannelInput, type AlertTestResult, type Logger } from '../core/index.ts';
import type { AlertChannel, AlertHistoryEntry, Store } from '../store/index.ts';
import { channelInfo, checkChannel, newChannel } from './channels.ts';
import { maskUrl } from './format.ts';
import { deliver, type Sent } from './send.ts';
import type { Alert, AlertMessage, AlertSettings } from './types.ts';

/** Channels one app (or the server) may have: a list, not a fan-out anyone could aim at a receiver. */
const MAX_CHANNELS = 20;
const HOUR = 3600_000;

export interface AlertsDeps {
  store: Store;
  settings: AlertSettings;
  log: Logger;
  now?: () => number;
}

export class AlertService {
  /** When each channel last sent, within the last hour (the rate limit). */
  private readonly sent = new Map<string, number[]>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly d: AlertsDeps) {}

  private now(): number {
    return (this.d.now ?? Date.now)();
  }

  /** Channels: one app's (`app`), the server's (null), or every one (undefined). */
  channels(app?: string | null): AlertChannelInfo[] {
    return (app === undefined ? this.d.store.alertChannels.all() : this.d.store.alertChannels.list(app)).map(channelInfo);
  }

  /**
   * `admin`: an admin adds it, so it may point at this host or its private network; so may every server-wide channel
   * (only admins add those). An app member's may point at public addresses only.
   */
  add(app: string | null, given: AlertChannelInput, admin = false): AlertChannelInfo {
    const owner = app === null ? null : this.d.store.apps.require(app).name;
    const privateOk = owner === null || admin;
    const input = checkChannel(given, this.d.settings.smtpUrl !== null, privateOk);
    const existing = this.d.store.alertChannels.list(owner);
    if (existing.some((c) => c.kind === input.kind && c.target === input.target)) {
      throw new UserError(`${owner ?? 'the server'} has that ${input.kind} channel already`, 'see `minicloud alerts`', 409);
    }
    if (existing.length >= MAX_CHANNELS) throw new UserError(`${owner ?? 'the server'} has ${MAX_CHANNELS} channels, the most it may have`, 'remove one first', 409);
    const c = this.d.store.alertChannels.add(newChannel(input, owner, privateOk));
    this.d.log.info(`alert channel ${c.id} added${owner ? ` for ${owner}` : ''}: ${c.kind} ${channelInfo(c).target}`);
    return channelInfo(c);
  }

  /** The channel `id` of `app` (null: a server-wide one; undefined: any, for admins). */
  private channel(id: string, app?: string | null): AlertChannel {
    const c = this.d.store.alertChannels.get(id);
    if (!c || (app !== undefined && c.app !== app)) {
      throw new NotFoundError(`no alert channel ${id}${app ? ` for ${app}` : app === null ? ' on the server' : ''}`, 'see `minicloud alerts` for the ids');
    }
    return c;
  }

  remove(id: string, app?: string | null): void {
    const c = this.channel(id, app);
    this.d.store.alertChannels.remove(c.id);
    this.sent.delete(c.id);
  }

  /** Sends a test message to one channel, or to each of `app`'s (null: the server's); waits for the outcomes. */
  async test(app: string | null, id?: string, scope?: string | null): Promise<AlertTestResult[]> {
    const list = id ? [this.channel(id, scope)] : this.d.store.alertChannels.list(app);
    if (list.length === 0) throw new UserError(`${app ?? 'the server'} has no alert channels to test`, 'add one with `minicloud alerts:add webhook <url>` or `alerts:add email <address>`');
    const m = this.message({
      kind: 'test', key: 'test', app: app ?? list[0]!.app,
      title: `test alert from minicloud${app ? ` for ${app}` : ''}`, lines: ['If you read this, alerts reach this channel.'],
    }, 'test');
    return Promise.all(list.map(async (c) => {
      const r = await this.send(c, m);
      return { channel: c.id, target: channelInfo(c).target, ok: r.ok, error: r.ok ? null : r.error };
    }));
  }

  /** A failure: announced on its channels unless its incident is open already. Never throws, never waits. */
  fire(a: Alert): void {
    try {
      if (!this.d.store.isOpen) return;
      if (!this.d.store.alertIncidents.open({ key: a.key, app: a.app, kind: a.kind, title: a.title, openedAt: new Date(this.now()).toISOString() })) return;
      this.d.log.warn(`alert: ${a.title}`);
      this.broadcast(this.message(a, 'firing'));
    } catch (e) {
      this.d.log.error('alert not sent:', e);
    }
  }

  /** The end of an incident: said on its channels when it was open (else nothing). Never throws, never waits. */
  resolve(key: string, lines: string[] = []): void {
    try {
      if (!this.d.store.isOpen) return;
      const i = this.d.store.alertIncidents.close(key);
      if (!i) return;
      this.d.log.info(`alert resolved: ${i.title}`);
      this.broadcast(this.message({ kind: i.kind, key, app: i.app, title: i.title, lines }, 'resolved'));
    } catch (e) {
      this.d.log.error('resolved alert not sent:', e);
    }
  }

  /** Whether an incident is open now (the watchers ask before checking a recovery). */
  isOpen(key: string): boolean {
    return this.d.store.isOpen && this.d.store.alertIncidents.get(key) !== null;
  }

  history(app?: string | null, limit = 100): AlertHistoryEntry[] {
    return this.d.store.alertHistory.list(app, limit);
  }

  /** Resolves once every delivery under way has ended (shutdown waits for them, bounded by their timeout). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private message(a: Alert, state: AlertMessage['state']): AlertMessage {
    return { ...a, state, at: new Date(this.now()).toISOString() };
  }

  private broadcast(m: AlertMessage): void {
    const channels = this.d.store.alertChannels.for(m.app);
    if (channels.length === 0) return void this.record(m, null, { delivery: 'no-channel', error: null });
    for (const c of channels) {
      const p = this.send(c, m).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  /**
   * One delivery, unless the channel's hourly budget is spent; its outcome goes to the history either way. The end of
   * an incident this channel was told of is always said (and not counted): else it would think it still broken.
   */
  private async send(c: AlertChannel, m: AlertMessage): Promise<Sent> {
    const now = this.now();
    const recent = (this.sent.get(c.id) ?? []).filter((t) => now - t < HOUR);
    const owed = m.state === 'resolved' && this.d.store.alertHistory.lastFiring(c.id, m.kind, m.title)?.delivery === 'sent';
    if (!owed && recent.length >= this.d.settings.perHour) {
      this.sent.set(c.id, recent);
      const error = `more than ${this.d.settings.perHour} messages within an hour to this channel (MINICLOUD_ALERT_RATE)`;
      this.record(m, c.id, { delivery: 'rate-limited', error });
      return { ok: false, error };
    }
    this.sent.set(c.id, owed ? recent : [...recent, now]);
    const r = await deliver(this.d.settings, c, m);
    if (!r.ok) this.d.log.warn(`alert to channel ${c.id} (${c.kind === 'webhook' ? maskUrl(c.target) : c.target}) failed: ${r.error}`);
    this.record(m, c.id, r.ok ? { delivery: 'sent', error: null } : { delivery: 'failed', error: r.error });
    return r;
  }

  private record(m: AlertMessage, channel: string | null, r: Pick<AlertHistoryEntry, 'delivery' | 'error'>): void {
    if (!this.d.store.isOpen) return;
    try {
      // An app destroyed meanwhile takes its history along: the row would name an app that is gone.
      const app = m.app !== null && this.d.store.apps.get(m.app) === null ? null : m.app;
      this.d.store.alertHistory.add({ at: new Date(this.now()).toISOString(), app, kind: m.kind, state: m.state, title: m.title, channel, ...r });
    } catch (e) {
      this.d.log.error('alert history not written:', e);
    }
  }
}
