// Splitting a stream of text into lines in linear time, each cut at a maximum length: output is untrusted.

/** The longest line kept (characters); the rest of a longer line is dropped and the line says so. */
export const MAX_LINE = 16 * 1024;
export const CUT_MARK = ` … [line cut at ${MAX_LINE} characters]`;

export interface SplitterOptions {
  /** A lone `\r` ends a line too (progress bars); `\r\n` is one end either way. */
  cr?: boolean;
  max?: number;
}

/**
 * Feed it chunks; it calls `onLine` for each complete line. Each character is looked at once: the unfinished
 * line is kept as pieces (at most `max` characters of them), never re-joined and re-scanned per chunk.
 */
export class LineSplitter {
  private pieces: string[] = [];
  private length = 0;
  private cut = false;
  private afterCr = false;
  private readonly max: number;
  private readonly ends: RegExp;

  constructor(private readonly onLine: (line: string) => void, o: SplitterOptions = {}) {
    this.max = o.max ?? MAX_LINE;
    this.ends = o.cr ? /\r\n|\r|\n/g : /\r?\n/g;
  }

  push(chunk: string): void {
    let start = 0;
    if (this.afterCr && chunk.startsWith('\n')) start = 1; // the `\n` of a `\r\n` split between chunks
    this.afterCr = false;
    const ends = this.ends;
    ends.lastIndex = start;
    for (let m = ends.exec(chunk); m; m = ends.exec(chunk)) {
      this.add(chunk, start, m.index);
      this.emit();
      start = m.index + m[0].length;
      if (m[0] === '\r' && start === chunk.length) this.afterCr = true;
    }
    this.add(chunk, start, chunk.length);
  }

  /** The input ended: an unfinished last line is a line. */
  end(): void {
    if (this.length > 0 || this.cut) this.emit();
  }

  /** Forgets the unfinished line (the file it came from was truncated or replaced). */
  reset(): void {
    this.pieces = [];
    this.length = 0;
    this.cut = false;
    this.afterCr = false;
  }

  private add(chunk: string, from: number, to: number): void {
    if (this.cut || to <= from) return;
    const room = this.max - this.length;
    if (to - from > room) {
      this.cut = true;
      to = from + room;
      // A surrogate pair cut in half would be an invalid character.
      const last = chunk.charCodeAt(to - 1);
      if (last >= 0xd800 && last <= 0xdbff) to--;
    }
    this.pieces.push(chunk.slice(from, to));
    this.length += to - from;
  }

  private emit(): void {
    const line = this.pieces.join('') + (this.cut ? CUT_MARK : '');
    this.reset();
    this.onLine(line);
  }
}
