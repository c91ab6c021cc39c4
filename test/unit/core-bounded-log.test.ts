// The refusal log: a flood of bad requests costs a few lines and one count, not a line each.
import { describe, expect, it } from 'vitest';
import { BoundedLog } from '../../src/core/index.ts';

describe('BoundedLog', () => {
  it('writes the first lines of a window, then one count when the next window starts', () => {
    let t = 0;
    const out: string[] = [];
    const log = new BoundedLog((l) => out.push(l), 3, 60_000, () => t);
    for (let i = 0; i < 10_000; i++) log.line(`refused ${i}`);
    expect(out).toEqual(['refused 0', 'refused 1', 'refused 2']);
    t = 60_000;
    log.line('refused again');
    expect(out.slice(3)).toEqual(['… and 9997 more like these in 60 s (not logged one by one)', 'refused again']);
  });
});
