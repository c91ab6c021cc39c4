// The router's access log, one file per app (<logs>/<app>/router.log), kept small by rotating once.
import { createWriteStream, mkdirSync, renameSync, statSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

const MAX_BYTES = 10 * 1024 * 1024;
// Lines are gathered and written together: one write per app every FLUSH_MS under load, not one per request.
const FLUSH_MS = 50;
const FLUSH_BYTES = 64 * 1024;

interface Stream { out: WriteStream; bytes: number; pending: string }

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
      const file = this.file(app);
      s = { out: createWriteStream(file, { flags: 'a', mode: 0o600 }), bytes: statSync(file, { throwIfNoEntry: false })?.size ?? 0, pending: '' };
      const opened = s;
      s.out.on('error', () => { if (this.streams.get(app) === opened) this.streams.delete(app); }); // e.g. the app was destroyed: reopened on the next line
      this.streams.set(app, s);
    }
    s.pending += `${this.now()} ${line}\n`;
    if (s.pending.length >= FLUSH_BYTES) this.flushOne(app, s);
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Writes what is gathered (the files are complete once `minicloud logs --router` reads them, give or take FLUSH_MS). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const [app, s] of this.streams) this.flushOne(app, s);
  }

  close(): void {
    this.flush();
    for (const s of this.streams.values()) s.out.end();
    this.streams.clear();
  }

  private flushOne(app: string, s: Stream): void {
    if (!s.pending) return;
    const text = s.pending;
    s.pending = '';
    s.out.write(text);
    s.bytes += Buffer.byteLength(text);
    if (s.bytes > MAX_BYTES) {
      s.out.end();
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
