// Test helper: the parties alerts go to, as real servers on free ports: a webhook receiver (node http, recording each
// JSON body) and an SMTP server (smtp-server, recording each message's envelope, subject and text).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Hook { path: string; headers: IncomingMessage['headers']; body: Record<string, unknown> }
export interface Mail { from: string; to: string[]; subject: string; text: string }

export interface WebhookReceiver {
  url: string;
  port: number;
  received: Hook[];
  /** Answers requests to `path` this way instead of 204 (a hostile receiver). */
  behave(path: string, fn: (req: IncomingMessage, res: ServerResponse) => void): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: Hook[] = [];
  const special = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  const server: Server = createServer((req, res) => {
    const odd = special.get(req.url ?? '');
    if (odd) return odd(req, res);
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try { body = JSON.parse(text) as Record<string, unknown>; } catch { body = { unparsed: text }; }
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`, port, received,
    behave: (path, fn) => special.set(path, fn),
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export interface SmtpReceiver {
  url: string;
  port: number;
  received: Mail[];
  close(): Promise<void>;
}

/** Plain SMTP without STARTTLS or AUTH: what the test speaks to is the protocol, not a certificate. */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const received: Mail[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'], authOptional: true, logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => (raw += c));
      stream.on('end', () => {
        const [head = '', ...body] = raw.split(/\r?\n\r?\n/);
        const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: /^Subject: (.*)$/im.exec(unfolded)?.[1]?.trim() ?? '',
          text: body.join('\n\n'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, port, received, close: () => new Promise((r) => server.close(() => r())) };
}
