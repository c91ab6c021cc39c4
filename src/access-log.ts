// The router's access log, one file per app (<logs>/<app>/router.log), kept small by rotating once.
import { createWriteStream, mkdirSync, renameSync, statSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

const MAX_BYTES = 10 * 1024 * 1024;

export class AccessLog {
  private readonly streams = new Map<string, { out: WriteStream; bytes: number }>();

  constructor(private readonly logsDir: string) {}

  file(app: string): string {
    return join(this.logsDir, app, 'router.log');
  }

  write(app: string, line: string): void {
    let s = this.streams.get(app);
    if (!s) {
      mkdirSync(join(this.logsDir, app), { recursive: true });
      const file = this.file(app);
      s = { out: createWriteStream(file, { flags: 'a', mode: 0o600 }), bytes: statSync(file, { throwIfNoEntry: false })?.size ?? 0 };
      s.out.on('error', () => this.streams.delete(app)); // e.g. the app was destroyed: reopened on the next line
      this.streams.set(app, s);
    }
    const text = `${new Date().toISOString()} ${line}\n`;
    s.out.write(text);
    s.bytes += Buffer.byteLength(text);
    if (s.bytes > MAX_BYTES) {
      s.out.end();
      this.streams.delete(app);
      try { renameSync(this.file(app), `${this.file(app)}.1`); } catch { /* gone already */ }
    }
  }

  close(): void {
    for (const s of this.streams.values()) s.out.end();
    this.streams.clear();
  }
}
