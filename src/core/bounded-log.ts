// A log of refusals at a bounded rate: under a flood of bad requests, a few lines and a count, not one line each.

export class BoundedLog {
  private windowStart = 0;
  private written = 0;
  private dropped = 0;
  private timer: NodeJS.Timeout | null = null;

  /** At most `perWindow` lines every `windowMs`; the rest are counted and reported in one line. */
  constructor(private readonly write: (line: string) => void, private readonly perWindow = 10, private readonly windowMs = 60_000, private readonly now = Date.now) {}

  line(text: string): void {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      this.report();
      this.windowStart = t;
      this.written = 0;
    }
    if (this.written < this.perWindow) {
      this.written++;
      this.write(text);
      return;
    }
    this.dropped++;
    // The count is told when the window ends, even if nothing else comes.
    this.timer ??= setTimeout(() => { this.timer = null; this.report(); }, this.windowStart + this.windowMs - t).unref();
  }

  private report(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.dropped === 0) return;
    this.write(`… and ${this.dropped} more like these in ${Math.round(this.windowMs / 1000)} s (not logged one by one)`);
    this.dropped = 0;
  }
}
