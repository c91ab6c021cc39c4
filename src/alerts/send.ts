// Delivering one message to one channel, bounded: a webhook POST or an SMTP e-mail, each given up after the timeout.
// A hostile receiver cannot stall minicloud: redirects are not followed, the answer's body is never read, a slow
// server is cut off, and the caller never waits on a delivery it did not ask to wait for.
import type { AlertChannel } from '../store/index.ts';
import { plainText, scrub, subject, webhookBody } from './format.ts';
import type { AlertMessage } from './types.ts';

export type Sent = { ok: true } | { ok: false; error: string };

export interface SendOptions {
  timeoutMs: number;
  smtpUrl: string | null;
  smtpFrom: string;
}

export async function postWebhook(url: string, body: unknown, timeoutMs: number): Promise<Sent> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, {
      method: 'POST', redirect: 'manual', signal,
      headers: { 'content-type': 'application/json', 'user-agent': 'minicloud-alerts' },
      body: JSON.stringify(body),
    });
    // Only the status matters: the body (however big, however slow) is dropped unread.
    await res.body?.cancel().catch(() => {});
    if (res.status >= 200 && res.status < 300) return { ok: true };
    if (res.status >= 300 && res.status < 400) return { ok: false, error: `the receiver answered a redirect (HTTP ${res.status}), which minicloud does not follow: give the final URL` };
    return { ok: false, error: `the receiver answered HTTP ${res.status}` };
  } catch (e) {
    if (signal.aborted) return { ok: false, error: `no answer within ${timeoutMs / 1000} s` };
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, error: cause?.code ?? cause?.message ?? (e as Error).message };
  }
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
    const sent = c.kind === 'email' ? await sendMail(o, c.target, m) : await postWebhook(c.target, webhookBody(m, c.format), o.timeoutMs);
    return sent.ok ? sent : { ok: false, error: scrub(sent.error, c.target) };
  } catch (e) {
    return { ok: false, error: scrub((e as Error).message, c.target) };
  }
}
