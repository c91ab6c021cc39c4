// `minicloud run` from a terminal: a websocket to the app's console, the local terminal in raw mode, keystrokes and
// size changes out, output in; resolves with the remote command's exit code. The terminal is restored on every path.
import { constants } from 'node:os';
import WebSocket from 'ws';
import { UserError, type ConsoleServerMessage } from '../../core/index.ts';
import type { Client } from './client.ts';
import { appPath } from './command.ts';
import type { Ctx } from './context.ts';

type TtyIn = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
type TtyOut = { write(chunk: Buffer | string): unknown; columns?: number; rows?: number; isTTY?: boolean };

/** Whether `run` opens a console: -t forces one, --no-tty forbids it, else when both ends are a terminal. */
export function wantsConsole(ctx: Ctx, flags: Record<string, unknown>): boolean {
  if (flags['no-tty']) return false;
  if (flags.tty) return true;
  return Boolean((ctx.io.stdin as TtyIn).isTTY && (ctx.io.stdout as TtyOut).isTTY);
}

const PING_MS = 30_000;
const HANGUPS = ['SIGHUP', 'SIGTERM'] as const;

export function runConsole(ctx: Ctx, client: Client, app: string, command: string): Promise<number> {
  return new Promise<number>((resolve, reject) => new LocalTerminal(ctx, client, app, command, resolve, reject));
}

class LocalTerminal {
  private readonly stdin: TtyIn;
  private readonly stdout: TtyOut;
  private readonly ws: WebSocket;
  private raw = false;
  private code: number | null = null;
  private failure: Error | null = null;
  private signalled: NodeJS.Signals | null = null;
  private pinger: NodeJS.Timeout | undefined;

  private readonly onInput = (chunk: Buffer | string) => { if (this.ws.readyState === this.ws.OPEN) this.ws.send(Buffer.from(chunk), { binary: true }); };
  /** Input that ends (a pipe, with -t): Ctrl-D, the end of input at a terminal. */
  private readonly onEnd = () => this.onInput('\x04');
  private readonly onResize = () => { if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify({ type: 'resize', ...this.size() })); };
  private readonly onSignal = (sig: NodeJS.Signals) => { this.signalled = sig; this.ws.terminate(); };

  constructor(private readonly ctx: Ctx, client: Client, app: string, private readonly command: string, resolve: (code: number) => void, reject: (e: Error) => void) {
    this.stdin = ctx.io.stdin as TtyIn;
    this.stdout = ctx.io.stdout as TtyOut;
    const url = client.url.replace(/^http/, 'ws') + appPath(app, '/console');
    this.ws = new WebSocket(url, { headers: { authorization: client.authorizationHeader() }, perMessageDeflate: false, handshakeTimeout: 30_000 });
    for (const s of HANGUPS) process.on(s, this.onSignal);
    this.ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { if (body.length < 64 * 1024) body += c; });
      res.on('end', () => {
        this.failure = refusal(res.statusCode ?? 0, body);
        this.ws.terminate();
      });
    });
    this.ws.on('open', () => this.opened());
    this.ws.on('message', (data, binary) => this.received(Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]), binary));
    this.ws.on('error', (e: Error & { code?: string }) => {
      this.failure ??= new UserError(`cannot open a console on minicloud at ${client.url}: ${e.code ?? e.message}`, 'is the server running, and MINICLOUD_URL right?');
    });
    this.ws.on('close', () => {
      this.restore();
      if (this.code !== null) return resolve(this.code);
      if (this.signalled) return resolve(128 + (constants.signals[this.signalled] ?? 1));
      reject(this.failure ?? new UserError('lost the connection to minicloud before the command ended', 'the command was ended with the connection; run it again'));
    });
  }

  private size(): { cols: number; rows: number } {
    return { cols: this.stdout.columns || 80, rows: this.stdout.rows || 24 };
  }

  private opened(): void {
    const ws = this.ws;
    ws.send(JSON.stringify({ type: 'start', command: this.command, ...this.size(), term: this.ctx.io.env.TERM }));
    if (this.stdin.isTTY && this.stdin.setRawMode) {
      // Ctrl-C, Ctrl-Z and the rest go to the remote command as bytes, as they would to a local one.
      this.stdin.setRawMode(true);
      this.raw = true;
    }
    this.stdin.on('data', this.onInput);
    this.stdin.on('end', this.onEnd);
    this.stdin.resume();
    process.on('SIGWINCH', this.onResize);
    let alive = true;
    ws.on('pong', () => { alive = true; });
    this.pinger = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, PING_MS);
  }

  private received(bytes: Buffer, binary: boolean): void {
    if (binary) return void this.stdout.write(bytes);
    let m: ConsoleServerMessage;
    try {
      m = JSON.parse(bytes.toString('utf8')) as ConsoleServerMessage;
    } catch {
      this.failure = new UserError('the server sent a console message that is not JSON', 'is the server the same version as the CLI?');
      return void this.ws.terminate();
    }
    if (m.type === 'exit') this.code = m.code;
    else if (m.type === 'error') this.failure = new UserError(m.error, m.hint);
  }

  private restore(): void {
    clearInterval(this.pinger);
    if (this.raw) this.stdin.setRawMode?.(false);
    this.raw = false;
    this.stdin.off('data', this.onInput);
    this.stdin.off('end', this.onEnd);
    this.stdin.pause();
    process.off('SIGWINCH', this.onResize);
    for (const s of HANGUPS) process.off(s, this.onSignal);
  }
}

function refusal(status: number, body: string): UserError {
  let parsed: { error?: unknown; hint?: unknown } = {};
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch { /* not ours */ }
  const message = typeof parsed.error === 'string' ? parsed.error : `the console was refused: HTTP ${status}`;
  const hint = status === 401 ? 'run `minicloud login` with a valid token' : typeof parsed.hint === 'string' ? parsed.hint : undefined;
  return new UserError(message, hint, status);
}
