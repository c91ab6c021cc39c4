// core/trace: a wake's or deploy's phase marks, set deep inside it, come out as one debug line at its end.
import { describe, expect, it } from 'vitest';
import { formatTrace, loggerTo, mark, traced } from '../../src/core/index.ts';

describe('traced', () => {
  it('collects the marks made anywhere below it, across awaits, into one debug line', async () => {
    const lines: string[] = [];
    const deep = async () => { await new Promise((r) => setTimeout(r, 5)); mark('spawned'); };
    const r = await traced(loggerTo((l) => lines.push(l)), 'wake hello', async () => { mark('prepared'); await deep(); return 7; });
    expect(r).toBe(7);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^wake hello: prepared \+\d+ ms, spawned \+\d+ ms, done \d+ ms$/);
  });

  it('logs even when the operation fails, and marks outside any trace do nothing', async () => {
    mark('nowhere');
    const lines: string[] = [];
    await expect(traced(loggerTo((l) => lines.push(l)), 'deploy x', async () => { mark('built'); throw new Error('no'); })).rejects.toThrow('no');
    expect(lines[0]).toMatch(/^deploy x: built \+\d+ ms, done \d+ ms$/);
  });

  it('formats times since the start', () => {
    expect(formatTrace('w', { t0: 100, marks: [['a', 112.4], ['b', 250]] }, 260)).toBe('w: a +12 ms, b +150 ms, done 160 ms');
  });
});
