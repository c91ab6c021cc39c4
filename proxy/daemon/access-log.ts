// The router's access log, one file per app (<logs>/<app>/router.log), kept small by rotating once.
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';

const MAX_BYTES = 10 * 1024 * 1024;
// Lines are gathered and written together: one write per app every FLUSH_MS under load, not one per request.
// The write is synchronous (one small append per batch), so a flush before a read makes the file complete.
const FLUSH_MS = 50;
const FLUSH_BYTES = 64 * 1024;

interface Stream { bytes: number; pending: string }

export class AccessLog {
  private readonly streams = new Map<string, Stream>();
  private timer: NodeJS.Timeout | null = null;
  private lastMs = 0;
  private lastIso = '';

  constructor(private readonly logsDir: string) {}

  file(app: string): string {
    return join(this.logsDir, app, 'router.log');
  }

  write(app: string, line: string): void {
    let s = this.streams.get(app);
    if (!s) {
      mkdirSync(join(this.logsDir, app), { recursive: true });
      s = { bytes: statSync(this.file(app), { throwIfNoEntry: false })?.size ?? 0, pending: '' };
      this.streams.set(app, s);
    }
    s.pending += `${this.now()} ${line}\n`;
    if (s.pending.length >= FLUSH_BYTES) this.flushOne(app, s);
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** The app's file with every line gathered so far written to it: what `minicloud logs --router` reads. */
  fileForReading(app: string): string {
    const s = this.streams.get(app);
    if (s) this.flushOne(app, s);
    return this.file(app);
  }

  /** Writes what is gathered. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const [app, s] of this.streams) this.flushOne(app, s);
  }

  close(): void {
    this.flush();
    this.streams.clear();
  }

  private flushOne(app: string, s: Stream): void {
    if (!s.pending) return;
    const text = s.pending;
    s.pending = '';
    try {
      appendFileSync(this.file(app), text, { mode: 0o600 });
    } catch {
      // The app was destroyed (its directory is gone): these lines have nowhere to go.
      this.streams.delete(app);
      return;
    }
    s.bytes += Buffer.byteLength(text);
    if (s.bytes > MAX_BYTES) {
      this.streams.delete(app);
      try { renameSync(this.file(app), `${this.file(app)}.1`); } catch { /* gone already */ }
    }
  }

  /** The ISO time, formatted once per millisecond however many lines share it. */
  private now(): string {
    const ms = Date.now();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastIso = new Date(ms).toISOString();
    }
    return this.lastIso;
  }
}
