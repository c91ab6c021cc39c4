// One console over a websocket: the start message, keystrokes and resizes in, output and the exit code out (core/console.ts).
import type { WebSocket, RawData } from 'ws';
import { isUserError, type ConsoleClientMessage, type ConsoleServerMessage, type Logger } from '../core/index.ts';
import type { ConsoleOptions, Terminal } from '../runtime/index.ts';
import { parseRunCommand } from './inputs.ts';

export interface ConsoleSessionDeps {
  /** Runs the command under a terminal (ProcessService.console). */
  start: (command: string, o: ConsoleOptions) => Promise<number>;
  /** Nothing typed and nothing printed for this long: the console is hung up on (0: never). */
  idleMs: number;
  /** The command, once known (the audit log names its program). */
  onCommand: (command: string) => void;
  log: Logger;
}

/** How long the client has to send `start`; how often the connection is checked (an unanswered ping ends it). */
const START_MS = 15_000;
const PING_MS = 30_000;
/** Keystrokes held until the command runs; output queued for a slow client before the command is paused. */
const MAX_EARLY_INPUT = 64 * 1024;
const HIGH_WATER = 1024 * 1024;

const TERM = /^[A-Za-z0-9._+-]{1,64}$/;
const size = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 1000;

class ProtocolError extends Error {}

function parseMessage(data: RawData): ConsoleClientMessage {
  let m: unknown;
  try {
    m = JSON.parse(String(data));
  } catch {
    throw new ProtocolError('a text message that is not JSON');
  }
  const o = (m ?? {}) as Record<string, unknown>;
  if ((o.type === 'start' || o.type === 'resize') && size(o.cols) && size(o.rows)) return o as unknown as ConsoleClientMessage;
  throw new ProtocolError('expected {"type":"start"|"resize","cols":1-1000,"rows":1-1000}');
}

export class ConsoleSession {
  private readonly abort = new AbortController();
  private terminal: Terminal | null = null;
  private early: Buffer[] = [];
  private earlyBytes = 0;
  private started = false;
  private resized: { cols: number; rows: number } | null = null;
  private reason: 'idle' | 'hangup' | undefined;
  private paused = false;
  private idle: NodeJS.Timeout | undefined;
  private readonly startTimer: NodeJS.Timeout;
  private readonly pinger: NodeJS.Timeout;

  constructor(private readonly ws: WebSocket, private readonly app: string, private readonly d: ConsoleSessionDeps) {
    this.startTimer = setTimeout(() => this.fail(`no start message within ${START_MS / 1000} s`), START_MS);
    let alive = true;
    ws.on('pong', () => { alive = true; });
    this.pinger = setInterval(() => {
      if (!alive) return ws.terminate(); // gone without a word: the close below ends the command
      alive = false;
      ws.ping();
    }, PING_MS);
    ws.on('close', () => {
      clearTimeout(this.startTimer);
      clearTimeout(this.idle);
      clearInterval(this.pinger);
      this.reason ??= 'hangup';
      this.abort.abort(); // the connection is gone: so is the command, and whatever it started
    });
    ws.on('error', () => { /* 'close' follows */ });
    ws.on('message', (data, binary) => this.received(data, binary));
  }

  private send(m: ConsoleServerMessage): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(m));
  }

  private fail(error: string, hint?: string): void {
    this.send({ type: 'error', error, ...(hint && { hint }) });
    this.ws.close(1008);
    this.abort.abort();
  }

  /** Something was typed or printed: the idle clock starts again. */
  private touch(): void {
    clearTimeout(this.idle);
    if (this.d.idleMs <= 0) return;
    this.idle = setTimeout(() => {
      this.reason = 'idle';
      this.ws.send(Buffer.from(`\r\nminicloud: console closed after ${Math.round(this.d.idleMs / 1000)} s without input or output\r\n`));
      this.abort.abort();
    }, this.d.idleMs);
  }

  private received(data: RawData, binary: boolean): void {
    try {
      if (binary) return this.typed(Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]));
      const m = parseMessage(data);
      if (m.type === 'start') return this.begin(m);
      this.touch();
      this.resized = { cols: m.cols, rows: m.rows };
      this.terminal?.resize(m.cols, m.rows);
    } catch (e) {
      if (e instanceof ProtocolError) return this.fail(`console protocol: ${e.message}`, 'use the minicloud CLI of the same version as the server');
      if (isUserError(e)) return this.fail(e.message, e.hint);
      throw e;
    }
  }

  /** Keystrokes: to the command, or held until it runs. */
  private typed(b: Buffer): void {
    if (!this.started) throw new ProtocolError('keystrokes before the start message');
    this.touch();
    if (this.terminal) return this.terminal.write(b);
    this.earlyBytes += b.length;
    if (this.earlyBytes > MAX_EARLY_INPUT) throw new ProtocolError(`more than ${MAX_EARLY_INPUT} bytes typed before the command started`);
    this.early.push(b);
  }

  private begin(m: Extract<ConsoleClientMessage, { type: 'start' }>): void {
    if (this.started) throw new ProtocolError('a second start message');
    this.started = true;
    const command = parseRunCommand(m, this.app);
    this.d.onCommand(command);
    clearTimeout(this.startTimer);
    this.touch();
    const term = typeof m.term === 'string' && TERM.test(m.term) ? m.term : 'xterm-256color';
    const ready = (t: Terminal) => {
      this.terminal = t;
      if (this.resized) t.resize(this.resized.cols, this.resized.rows);
      for (const b of this.early) t.write(b);
      this.early = [];
    };
    const output = (data: Buffer) => this.output(data);
    this.d.start(command, { cols: m.cols, rows: m.rows, term, output, ready, signal: this.abort.signal }).then(
      (code) => {
        this.send({ type: 'exit', code, ...(this.reason && { reason: this.reason }) });
        this.ws.close(1000);
      },
      (e: unknown) => {
        if (isUserError(e)) return this.fail(e.message, e.hint);
        this.d.log.error(`console of ${this.app}:`, e);
        this.fail('internal error; see the minicloud server log');
      },
    );
  }

  /** The command's output; the command waits while the client is far behind. */
  private output(data: Buffer): void {
    this.touch();
    const ws = this.ws;
    if (ws.readyState !== ws.OPEN) return;
    ws.send(data, { binary: true });
    const t = this.terminal;
    if (ws.bufferedAmount <= HIGH_WATER || !t || this.paused) return;
    this.paused = true;
    t.pause();
    const drained = setInterval(() => {
      if (ws.readyState !== ws.OPEN || ws.bufferedAmount < HIGH_WATER / 4) { clearInterval(drained); this.paused = false; t.resume(); }
    }, 20);
  }
}
