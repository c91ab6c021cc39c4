// What minicloud stops when it stops: each long-lived part registers its stop where it is made, and stopAll() runs
// them last-made first, as Caddy stops its apps and Outline's ShutdownHelper its services. A stop registered is a
// part that started, so a start that failed halfway stops exactly what it had started.
import type { Logger } from '../core/index.ts';

export type Stop = () => void | Promise<void>;

/**
 * `first`: stopped before the rest (the deploys in progress let go of what they drive);
 * `last`: after the rest (the ports a next minicloud waits for, and the store the API still serves from).
 * Within a group, the last added stops first.
 */
export type StopGroup = 'first' | 'normal' | 'last';
const GROUPS: StopGroup[] = ['first', 'normal', 'last'];

export interface StopOptions {
  group?: StopGroup;
  /** How long the stop may take before the next one runs anyway (ms); Infinity for a stop that bounds itself. */
  timeoutMs?: number;
}

interface Part { name: string; stop: Stop; group: StopGroup; timeoutMs: number }

export class Lifecycle {
  private readonly parts: Part[] = [];
  private stopping: Promise<void> | null = null;

  constructor(private readonly log: Logger, private readonly defaultTimeoutMs = 10_000) {}

  /** Registers a started part's stop. */
  add(name: string, stop: Stop, opts: StopOptions = {}): void {
    this.parts.push({ name, stop, group: opts.group ?? 'normal', timeoutMs: opts.timeoutMs ?? this.defaultTimeoutMs });
  }

  /** The parts' names in the order stopAll() stops them. */
  order(): string[] {
    return GROUPS.flatMap((g) => this.parts.filter((p) => p.group === g).reverse().map((p) => p.name));
  }

  /** Stops every part once, in order; one that throws or hangs is logged and the next one stops all the same. */
  stopAll(): Promise<void> {
    return (this.stopping ??= this.stopEach());
  }

  private async stopEach(): Promise<void> {
    for (const group of GROUPS) {
      for (const part of this.parts.filter((p) => p.group === group).reverse()) await this.stopOne(part);
    }
  }

  private async stopOne(part: Part): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      if (Number.isFinite(part.timeoutMs)) timer = setTimeout(() => resolve('late'), part.timeoutMs);
    });
    try {
      const result = await Promise.race([Promise.resolve().then(part.stop), late]);
      if (result === 'late') this.log.warn(`${part.name}: not stopped after ${part.timeoutMs / 1000} s; going on without it`);
      else this.log.debug(`${part.name}: stopped`);
    } catch (e) {
      this.log.error(`${part.name}: stopping failed:`, e);
    } finally {
      clearTimeout(timer);
    }
  }
}
