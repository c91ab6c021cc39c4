// Delivering one message to one channel, bounded: a webhook POST or an SMTP e-mail, each given up after the timeout.
// A hostile receiver cannot stall minicloud: redirects are not followed, the answer's body is never read, a slow
// server is cut off, and the caller never waits on a delivery it did not ask to wait for.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AlertChannel } from '../store/index.ts';
import { plainText, scrub, subject, webhookBody } from './format.ts';
import { privateLiteral, publicLookup } from './public-address.ts';
import type { AlertMessage } from './types.ts';

export type Sent = { ok: true } | { ok: false; error: string };

export interface SendOptions {
  timeoutMs: number;
  smtpUrl: string | null;
  smtpFrom: string;
}

/**
 * POSTs `body` as JSON and resolves with how it went, never later than `timeoutMs` from now. `publicOnly`: the URL
 * must resolve to public addresses only (an app member's channel).
 */
export function postWebhook(url: string, body: unknown, timeoutMs: number, publicOnly: boolean): Promise<Sent> {
  const u = new URL(url);
  const literal = publicOnly ? privateLiteral(u.hostname) : null;
  if (literal) return Promise.resolve({ ok: false, error: `${literal}: an app's webhook must point at a public address` });
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    let done = false;
    const end = (r: Sent) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(u, {
      method: 'POST', ...(publicOnly && { lookup: publicLookup }),
      headers: { 'content-type': 'application/json', 'content-length': payload.length, 'user-agent': 'minicloud-alerts' },
    }, (res) => {
      // Only the status matters: the body (however big, however slow) is never read, the connection is closed.
      const status = res.statusCode ?? 0;
      res.destroy();
      if (status >= 200 && status < 300) return end({ ok: true });
      if (status >= 300 && status < 400) return end({ ok: false, error: `the receiver answered a redirect (HTTP ${status}), which minicloud does not follow: give the final URL` });
      end({ ok: false, error: `the receiver answered HTTP ${status}` });
    });
    const timer = setTimeout(() => end({ ok: false, error: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => end({ ok: false, error: e.code === 'EPRIVATE' ? e.message : (e.code ?? e.message) }));
    req.end(payload);
  });
}

export async function sendMail(o: SendOptions, to: string, m: AlertMessage): Promise<Sent> {
  if (!o.smtpUrl) return { ok: false, error: 'MINICLOUD_SMTP_URL is not set, so minicloud cannot send e-mail' };
  // Loaded on the first e-mail: a server without e-mail channels never pays for it (about 4 MB).
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport({
    url: o.smtpUrl, connectionTimeout: o.timeoutMs, greetingTimeout: o.timeoutMs, socketTimeout: o.timeoutMs, dnsTimeout: o.timeoutMs,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    // The transport's own timeouts bound each step; this bounds them all together.
    const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${o.timeoutMs / 1000} s`)), o.timeoutMs); });
    await Promise.race([transport.sendMail({ from: o.smtpFrom, to, subject: subject(m), text: plainText(m, 20_000) }), timeout]);
    return { ok: true };
  } catch (e) {
    // The SMTP URL may hold a password: its words never reach the history.
    return { ok: false, error: scrub((e as Error).message, o.smtpUrl) };
  } finally {
    clearTimeout(timer);
    transport.close();
  }
}

/** One message to one channel; never throws, and the error says nothing of the channel's secret. */
export async function deliver(o: SendOptions, c: AlertChannel, m: AlertMessage): Promise<Sent> {
  try {
    const sent = c.kind === 'email' ? await sendMail(o, c.target, m) : await postWebhook(c.target, webhookBody(m, c.format), o.timeoutMs, !c.privateOk);
    return sent.ok ? sent : { ok: false, error: scrub(sent.error, c.target) };
  } catch (e) {
    return { ok: false, error: scrub((e as Error).message, c.target) };
  }
}
