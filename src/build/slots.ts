// Guardrails for small servers: builds take turns (MINICLOUD_BUILD_CONCURRENCY) and start only with memory to spare.
import { readFileSync } from 'node:fs';
import { UserError, type Artifact } from '../core/index.ts';
import type { BuildRequest, Builder } from './builder.ts';

export interface SlotOptions {
  concurrency: number;
  /** The least memory (MiB) a build may start with. */
  minFreeMb: number;
  /** Reads MemAvailable (MiB); a parameter so tests can pretend the server is short. */
  freeMb?: () => number;
}

export function memAvailableMb(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    return m ? Math.floor(Number(m[1]) / 1024) : Infinity;
  } catch {
    return Infinity; // not Linux: no check rather than a wrong one
  }
}

/** The same builder, run at most `concurrency` at a time, each after a free-memory check. */
export class BuildSlots implements Builder {
  readonly name: string;
  private running = 0;
  private readonly waiting: Array<{ go: () => void; preview: boolean }> = [];

  constructor(private readonly inner: Builder, private readonly opts: SlotOptions) {
    this.name = inner.name;
  }

  /** Unpacking takes no slot: only the build does. */
  unpack(sourceTar: string, dir: string): Promise<void> {
    return this.inner.unpack(sourceTar, dir);
  }

  async build(req: BuildRequest): Promise<Artifact> {
    if (this.running >= this.opts.concurrency) {
      req.log(`-----> Waiting for ${this.running === 1 ? 'another build' : `${this.running} builds`} to finish (MINICLOUD_BUILD_CONCURRENCY=${this.opts.concurrency})`);
      await new Promise<void>((go) => this.waiting.push({ go, preview: req.preview === true })); // handed the slot of a build that ended
    } else {
      this.running++;
    }
    try {
      const free = (this.opts.freeMb ?? memAvailableMb)();
      // A preview gives way first: it needs twice the memory production's builds need to start.
      const needs = this.opts.minFreeMb * (req.preview ? 2 : 1);
      if (free < needs) {
        throw new UserError(
          `only ${free} MiB of memory is free and a ${req.preview ? "preview's " : ''}build needs ${needs} MiB${req.preview ? ' (twice MINICLOUD_BUILD_MIN_FREE)' : ''}; the build did not start, so nothing running was disturbed`,
          'free memory (stop or scale down apps), add swap, or lower MINICLOUD_BUILD_MIN_FREE, then push again',
        );
      }
      return await this.inner.build(req);
    } finally {
      // The slot goes to the longest-waiting build that is not a preview's; previews get it when no other waits.
      const i = this.waiting.findIndex((w) => !w.preview);
      const next = this.waiting.splice(i < 0 ? 0 : i, 1)[0];
      if (next) next.go();
      else this.running--;
    }
  }

  prune(app: string, wanted: string[]): Promise<void> {
    return this.inner.prune?.(app, wanted) ?? Promise.resolve();
  }

  usage(): Promise<Map<string, number>> {
    return this.inner.usage?.() ?? Promise.resolve(new Map());
  }

  rename(from: string, to: string): Promise<void> {
    return this.inner.rename?.(from, to) ?? Promise.resolve();
  }
}
