// How a message looks on each channel: minicloud's JSON, Slack's and Discord's webhook bodies, an e-mail; and how a
// webhook URL is shown (its path and query may be the secret: Slack's and Discord's hook tokens are).
import type { AlertFormat } from '../store/index.ts';
import type { AlertMessage } from './types.ts';

/** Slack's and Discord's hook hosts; any other URL gets minicloud's JSON unless --format says otherwise. */
export function detectFormat(url: URL): AlertFormat {
  const host = url.hostname.toLowerCase();
  if (host === 'hooks.slack.com' || host.endsWith('.slack.com')) return 'slack';
  if (/^(?:(?:ptb|canary)\.)?discord(?:app)?\.com$/.test(host)) return 'discord';
  return 'json';
}

/** A webhook URL as listings and logs show it: scheme and host, never its path, query or password. */
export function maskUrl(target: string): string {
  try {
    const u = new URL(target);
    const rest = u.pathname !== '/' || u.search || u.hash ? '/…' : '/';
    return `${u.protocol}//${u.host}${rest}`;
  } catch {
    return '(invalid URL)';
  }
}

/** An error's words with the channel's target (and its path, alone) replaced by the masked form. */
export function scrub(text: string, target: string): string {
  let out = text;
  const secrets = [target];
  try {
    const u = new URL(target);
    if (u.pathname.length > 1) secrets.push(u.pathname.slice(1));
    if (u.search.length > 1) secrets.push(u.search.slice(1));
    if (u.password) secrets.push(u.password);
  } catch { /* not a URL: the address itself */ }
  for (const s of secrets.filter((x) => x.length >= 4)) out = out.split(s).join(maskUrl(target));
  return out.replace(/\s+/g, ' ').trim().slice(0, 500);
}

const STATE_WORD: Record<AlertMessage['state'], string> = { firing: '', resolved: 'Resolved: ', test: '' };

/** The subject line: `[minicloud] shop: deploy failed`, `[minicloud] Resolved: shop: deploy failed`. */
export function subject(m: AlertMessage): string {
  return `[minicloud] ${STATE_WORD[m.state]}${m.title}`.slice(0, 200);
}

/** The message as plain text: the title, its lines, the link. */
export function plainText(m: AlertMessage, max = 4000): string {
  const text = [`${STATE_WORD[m.state]}${m.title}`, ...m.lines, ...(m.url ? [`Full log: ${m.url}`] : [])].join('\n');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Lines inside a code block: a line of the app's own output cannot close it. */
const fence = (lines: string[]) => lines.join('\n').replaceAll('```', "'''");

/** The JSON body POSTed to a webhook in `format`. */
export function webhookBody(m: AlertMessage, format: AlertFormat): Record<string, unknown> {
  const icon = m.state === 'resolved' ? ':white_check_mark:' : m.state === 'test' ? ':information_source:' : ':rotating_light:';
  if (format === 'slack') {
    // Slack's incoming webhooks (and Mattermost's, Rocket.Chat's) read `text`; the log lines in a code block.
    const [head, ...rest] = plainText(m, 3500).split('\n');
    return { text: `${icon} *${head}*${rest.length ? `\n\`\`\`\n${fence(rest)}\n\`\`\`` : ''}`, username: 'minicloud' };
  }
  if (format === 'discord') {
    // Discord's content is at most 2000 characters; mentions in app output are not let ping anyone.
    const [head, ...rest] = plainText(m, 1800).split('\n');
    return { content: `${icon} **${head}**${rest.length ? `\n\`\`\`\n${fence(rest)}\n\`\`\`` : ''}`, username: 'minicloud', allowed_mentions: { parse: [] } };
  }
  return {
    source: 'minicloud', state: m.state, kind: m.kind, incident: m.key, app: m.app, title: m.title, lines: m.lines, url: m.url ?? null, at: m.at,
    text: plainText(m),
  };
}
