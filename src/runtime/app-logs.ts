// Per-app log files that outlive instances and releases: what `minicloud logs` reads, whatever the runtime.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tailFile } from '../core/index.ts';
import type { LogOptions } from './runtime.ts';

export class AppLogs {
  constructor(private readonly dir: string) {}

  file(app: string): string {
    return join(this.dir, app, 'app.log');
  }

  /** Makes sure the app's log directory exists and returns its file. */
  prepare(app: string): string {
    mkdirSync(join(this.dir, app), { recursive: true });
    return this.file(app);
  }

  append(app: string, text: string): void {
    appendFileSync(this.prepare(app), text.endsWith('\n') ? text : `${text}\n`, { mode: 0o600 });
  }

  /** Raw output, as it comes (partial lines included). */
  write(app: string, chunk: Buffer): void {
    appendFileSync(this.prepare(app), chunk, { mode: 0o600 });
  }

  tail(app: string, opts: LogOptions): AsyncIterable<string> {
    return tailFile(this.file(app), opts);
  }
}
