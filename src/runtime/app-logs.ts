// Per-app log files that outlive instances and releases: what `minicloud logs` reads, whatever the runtime;
// kept bounded like router.log: past the limit, the newest part moves to app.log.1 and app.log starts again.
import { appendFileSync, closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { LineSplitter, tailFile } from '../core/index.ts';
import type { LogOptions } from './runtime.ts';

export const APP_LOG_MAX_BYTES = 10 * 1024 * 1024;

export class AppLogs {
  /** Bytes minicloud wrote per app since it last looked at the file's size. */
  private readonly written = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly dir: string, private readonly maxBytes = APP_LOG_MAX_BYTES) {}

  file(app: string): string {
    return join(this.dir, app, 'app.log');
  }

  /** Makes sure the app's log directory exists and returns its file. */
  prepare(app: string): string {
    mkdirSync(join(this.dir, app), { recursive: true });
    return this.file(app);
  }

  /** A line of minicloud's own (a cron run's, an OOM kill's), with its time. */
  append(app: string, text: string): void {
    this.write(app, `${new Date().toISOString()} ${text.endsWith('\n') ? text : `${text}\n`}`);
  }

  /**
   * A writer of an instance's output as the engine gives it with `timestamps`: each line `<RFC 3339 time> text` goes
   * to the app's log as `<time> <tag>: text`, Heroku's `app[web.1]:` with the time the line was printed.
   */
  stamped(app: string, tag: string): { push(chunk: Buffer): void; end(): void } {
    const decoder = new StringDecoder('utf8');
    let batch: string[] = [];
    const splitter = new LineSplitter((l) => {
      const sp = l.indexOf(' ');
      const t = sp > 0 ? Date.parse(l.slice(0, sp)) : NaN;
      batch.push(Number.isNaN(t) ? `${new Date().toISOString()} ${tag}: ${l}\n` : `${new Date(t).toISOString()} ${tag}: ${l.slice(sp + 1)}\n`);
    });
    const flush = () => {
      if (batch.length) this.write(app, batch.join(''));
      batch = [];
    };
    return {
      push: (chunk) => { splitter.push(decoder.write(chunk)); flush(); },
      end: () => { splitter.push(decoder.end()); splitter.end(); flush(); },
    };
  }

  /** Raw output, as it comes (partial lines included). */
  write(app: string, chunk: Buffer | string): void {
    appendFileSync(this.prepare(app), chunk, { mode: 0o600 });
    const n = (this.written.get(app) ?? 0) + chunk.length;
    this.written.set(app, n);
    if (n >= this.maxBytes / 16) {
      this.written.set(app, 0);
      this.rotateIfLarge(app);
    }
  }

  tail(app: string, opts: LogOptions): AsyncIterable<string> {
    return tailFile(this.file(app), opts);
  }

  /** Files that app processes write themselves (host runtime): their sizes are looked at every `everyMs`. */
  watch(everyMs = 2000): void {
    this.timer ??= setInterval(() => {
      let apps: string[] = [];
      try { apps = readdirSync(this.dir); } catch { /* no logs yet */ }
      for (const app of apps) this.rotateIfLarge(app);
    }, everyMs).unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Copies the newest `maxBytes` (from a line start) to app.log.1 and empties app.log in place: writers keep
   * their open files (a host process's stdout is app.log itself, opened for appending) and go on at its start.
   */
  rotateIfLarge(app: string): void {
    const file = this.file(app);
    const size = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
    if (size <= this.maxBytes) return;
    let fd: number;
    try { fd = openSync(file, 'r+'); } catch { return; } // the app was destroyed meanwhile
    try {
      const keep = Buffer.alloc(this.maxBytes);
      const n = readSync(fd, keep, 0, keep.length, size - keep.length);
      const start = keep.indexOf(10) + 1; // the first line is most likely cut
      writeFileSync(`${file}.1`, keep.subarray(start > 0 ? start : 0, n), { mode: 0o600 });
      ftruncateSync(fd, 0);
    } finally {
      closeSync(fd);
    }
  }
}
