// Checking a channel someone asks for: a webhook's URL and format, or an e-mail address; and how it is shown.
import { randomBytes } from 'node:crypto';
import { UserError, excerpt, type AlertChannelInfo, type AlertChannelInput } from '../core/index.ts';
import type { AlertChannel, AlertFormat } from '../store/index.ts';
import { detectFormat, maskUrl } from './format.ts';
import { privateLiteral } from './public-address.ts';

const FORMATS = ['json', 'slack', 'discord'] as const;
/** One address, no display name, no list: what a header could be forged with is refused. */
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** The channel's fields from a request body (unknown input, parsed at the route): its kind, target and format. */
export function parseChannelInput(body: unknown): AlertChannelInput {
  const b = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const { kind, target, format } = b;
  if (kind !== 'webhook' && kind !== 'email') throw new UserError(`unknown channel kind ${excerpt(kind)}`, 'use `webhook <url>` or `email <address>`');
  if (typeof target !== 'string' || target.trim() === '') throw new UserError(`no ${kind === 'webhook' ? 'URL' : 'address'} given`);
  if (format !== undefined && format !== null && !FORMATS.includes(format as (typeof FORMATS)[number])) {
    throw new UserError(`unknown format ${excerpt(format)}`, 'use --format slack, discord or json (detected from the URL when left out)');
  }
  if (kind === 'email' && format) throw new UserError('--format is for webhooks', 'an e-mail is plain text');
  return { kind, target, ...(format ? { format: format as AlertChannelInput['format'] } : {}) };
}

/**
 * The channel checked against what this server can send (`smtp`: whether e-mail can be sent at all) and where it may
 * point (`privateOk`: an admin adds it, so it may point at this host or a private network).
 */
export function checkChannel(input: AlertChannelInput, smtp: boolean, privateOk: boolean): AlertChannelInput {
  const { target } = input;
  if (input.kind === 'email') {
    if (!smtp) throw new UserError('e-mail alerts need an SMTP server, and MINICLOUD_SMTP_URL is not set', 'set MINICLOUD_SMTP_URL (e.g. smtps://user:password@smtp.example.com:465) and MINICLOUD_SMTP_FROM, and restart minicloud', 409);
    if (target.length > 254 || !EMAIL.test(target)) throw new UserError(`${excerpt(target, 80)} is not an e-mail address`, 'give one address, e.g. ops@example.com');
    return { kind: 'email', target };
  }
  return { kind: 'webhook', target: checkUrl(target, privateOk), ...(input.format ? { format: input.format } : {}) };
}

function checkUrl(raw: string, privateOk: boolean): string {
  // The URL is never echoed back whole: it may hold the hook's secret.
  if (raw.length > 2048) throw new UserError('the webhook URL is longer than 2048 characters');
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new UserError('the webhook URL is not a URL', 'give the whole URL, e.g. https://hooks.slack.com/services/…');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new UserError(`a webhook URL starts with https:// (or http://), not ${excerpt(u.protocol)}`);
  const literal = privateOk ? null : privateLiteral(u.hostname);
  if (literal) throw new UserError(`${literal}: an app's webhook must point at a public address`, 'an admin may add it as a server-wide channel (`minicloud alerts:add webhook <url>` without --app)', 403);
  return u.toString();
}

/** A new channel of `app` (null: server-wide). */
export function newChannel(input: AlertChannelInput, app: string | null, privateOk: boolean, now = new Date()): AlertChannel {
  const format: AlertFormat = input.kind === 'email' ? 'email' : (input.format ?? detectFormat(new URL(input.target)));
  return { id: randomBytes(4).toString('hex'), app, kind: input.kind, target: input.target, format, createdAt: now.toISOString(), privateOk };
}

/** The channel as listings show it: a webhook's URL masked. */
export function channelInfo(c: AlertChannel): AlertChannelInfo {
  return { id: c.id, app: c.app, kind: c.kind, target: c.kind === 'webhook' ? maskUrl(c.target) : c.target, format: c.format, createdAt: c.createdAt };
}
