// What an alert is: a kind of failure, the incident it belongs to (announced once, then resolved once), and its words.
import type { AlertKind } from '../store/index.ts';

export type { AlertKind };

export interface Alert {
  kind: AlertKind;
  /** The incident: alerts with the same key are one incident (announced once until it is resolved). */
  key: string;
  /** The app it is about; null for the server (disk, memory, an add-on server). */
  app: string | null;
  /** One line, e.g. `shop: deploy failed`. */
  title: string;
  /** What happened and what to do, a few lines (a failed deploy's last log lines among them). */
  lines: string[];
  /** Where to read more (a failed deploy's full log). */
  url?: string;
}

/** A message as the channels send it: an alert's words and whether it opens or closes its incident. */
export interface AlertMessage extends Alert {
  state: 'firing' | 'resolved' | 'test';
  at: string;
}

/** Settings from the environment (server/config.ts reads them with alertSettings()). */
export interface AlertSettings {
  /** MINICLOUD_SMTP_URL: smtp://user:password@host:587 or smtps://…; null: no e-mail channels. */
  smtpUrl: string | null;
  /** MINICLOUD_SMTP_FROM: the sender of alert e-mails. */
  smtpFrom: string;
  /** MINICLOUD_ALERT_TIMEOUT: the most one delivery may take (connect, send, answer). */
  timeoutMs: number;
  /** MINICLOUD_ALERT_RATE: messages per channel per hour; more are recorded in the history, not sent. */
  perHour: number;
  /** MINICLOUD_ALERT_DISK_FREE: the data directory's free space below which it is low (`10%` or MiB). */
  diskFree: Threshold;
  /** MINICLOUD_ALERT_MEMORY_FREE: the host's available memory below which it is low (`5%` or MiB). */
  memoryFree: Threshold;
  /** MINICLOUD_ALERT_CHECK_INTERVAL: how often disk, memory and recoveries are checked. */
  checkMs: number;
  /** MINICLOUD_ALERT_CRASHES: crashes of an app within 10 minutes that make a crash loop. */
  loopCrashes: number;
  /** MINICLOUD_ALERT_STABLE: how long an app's instances must all be up to count as healthy again. */
  stableMs: number;
}

export type Threshold = { percent: number } | { mb: number };
