// One deploy of an app at a time across minicloud processes: a lock file naming its holder (pid and start time), taken over once that process is gone.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processStart } from '../core/index.ts';

export interface LockHolder {
  pid: number;
  /** The process's start time (/proc/<pid>/stat): with the pid, it tells the holder from a later process that reused the pid. */
  start: string;
  deployId: string;
}

const isRunning = (h: LockHolder) => processStart(h.pid) === h.start;

function readHolder(file: string): LockHolder | 'gone' | null {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof h.pid === 'number' && typeof h.start === 'string' && typeof h.deployId === 'string' ? (h as LockHolder) : null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : null; // null: being written, or garbage
  }
}

export class AppLocks {
  private readonly held = new Map<string, string>();
  private readonly me = { pid: process.pid, start: processStart(process.pid) ?? String(Date.now()) };

  constructor(private readonly dir: string, private readonly pollMs = 250) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Waits while a live process holds the app's lock (`onWait` is told once who), then takes it. */
  async acquire(app: string, deployId: string, onWait: (holder: LockHolder) => void): Promise<void> {
    const file = join(this.dir, `${app}.lock`);
    let told = false;
    let unreadable = 0;
    for (;;) {
      try {
        writeFileSync(file, JSON.stringify({ ...this.me, deployId }), { flag: 'wx', mode: 0o600 });
        this.held.set(app, file);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = readHolder(file);
      if (holder === 'gone') continue;
      // A holder that is gone (killed with minicloud) leaves its lock behind; so does garbage that stays garbage.
      if (holder ? !isRunning(holder) : ++unreadable > 8) {
        rmSync(file, { force: true });
        continue;
      }
      if (holder && !told) {
        onWait(holder);
        told = true;
      }
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  /** Proof that the deploy's run died with its process (kill -9): the app's lock names that deploy and a process that is gone. */
  leftByDeadProcess(app: string, deployId: string): boolean {
    const holder = readHolder(join(this.dir, `${app}.lock`));
    return holder !== null && holder !== 'gone' && holder.deployId === deployId && !isRunning(holder);
  }

  release(app: string): void {
    const file = this.held.get(app);
    if (!file) return;
    this.held.delete(app);
    rmSync(file, { force: true });
  }

  /** minicloud is stopping: the next process takes over the deploys cut short. */
  releaseAll(): void {
    for (const app of [...this.held.keys()]) this.release(app);
  }
}
