// MINICLOUD_MIN_FREE read as a size or a percentage; the default 1 GiB or 5% of the disk, whichever is smaller.
import { expect, it } from 'vitest';
import { neededBytes, parseMinFree, requireFreeSpace } from '../../src/core/index.ts';

const GIB = 1024 ** 3;

it('reads sizes, percentages and 0', () => {
  expect(parseMinFree(undefined)).toBeNull();
  expect(parseMinFree('5%')).toEqual({ percent: 5 });
  expect(parseMinFree('2G')).toEqual({ bytes: 2 * GIB });
  expect(parseMinFree('512M')).toEqual({ bytes: 512 * 1024 ** 2 });
  expect(parseMinFree('512')).toEqual({ bytes: 512 * 1024 ** 2 });
  expect(parseMinFree('1.5GiB')).toEqual({ bytes: 1.5 * GIB });
  expect(parseMinFree('0')).toEqual({ bytes: 0 });
  expect(() => parseMinFree('lots')).toThrow(/MINICLOUD_MIN_FREE=lots is not a size/);
  expect(() => parseMinFree('150%')).toThrow(/is not a size/);
});

it('needs 1 GiB, or 5% of a small disk', () => {
  expect(neededBytes(null, 100 * GIB)).toBe(GIB);
  expect(neededBytes(null, 10 * GIB)).toBe(GIB / 2);
  expect(neededBytes({ percent: 10 }, 10 * GIB)).toBe(GIB);
  expect(neededBytes({ bytes: 123 }, 10 * GIB)).toBe(123);
});

it('refuses with what is free, what is needed and the way out', () => {
  expect(() => requireFreeSpace('/', { percent: 100 }, 'a build of shop')).toThrow(/not enough free disk space to start a build of shop: .* free in \/, .* needed \(MINICLOUD_MIN_FREE\)/);
  expect(() => requireFreeSpace('/', { bytes: 0 }, 'a build of shop')).not.toThrow();
});
