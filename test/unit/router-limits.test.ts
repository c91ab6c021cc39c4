// The router's size limits as values: max-body as typed, and which status a head Node could not hold gets.
import { describe, expect, it } from 'vitest';
import { overflowStatus } from '../../proxy/edge/limits.ts';
import { formatSize, parseRouterSetting, parseSize } from '../../src/core/index.ts';

describe('max-body', () => {
  it('reads sizes as nginx does (k, m, g in 1024s), plain bytes, 0 for none, default', () => {
    expect(parseSize('50m')).toBe(50 * 1024 ** 2);
    expect(parseSize('512k')).toBe(512 * 1024);
    expect(parseSize('1g')).toBe(1024 ** 3);
    expect(parseSize('2048')).toBe(2048);
    expect(parseSize('10mb')).toBe(10 * 1024 ** 2);
    expect(parseRouterSetting('max-body', '50M')).toEqual({ maxBodyBytes: 50 * 1024 ** 2 });
    expect(parseRouterSetting('max-body', '0')).toEqual({ maxBodyBytes: 0 });
    expect(parseRouterSetting('max-body', 'default')).toEqual({ maxBodyBytes: null });
  });

  it('refuses what is not a size from 1k to 10g with a UserError that shows the syntax', () => {
    for (const bad of ['12', '1023', '11g', '5 MB', '-1m', '1.5m', 'lots', '', '0x10', '1e9', null]) {
      expect(() => parseRouterSetting('max-body', bad), String(bad)).toThrow(/max-body must be a size from 1k to 10g/);
    }
  });

  it('shows sizes the way they are typed', () => {
    expect(formatSize(100 * 1024 ** 2)).toBe('100m');
    expect(formatSize(1024 ** 3)).toBe('1g');
    expect(formatSize(1536)).toBe('1536');
    expect(formatSize(3 * 1024)).toBe('3k');
  });
});

describe('overflowStatus', () => {
  const err = (raw: string, at = raw.length) => ({ rawPacket: Buffer.from(raw), bytesParsed: at });

  it('414 when Node overflowed in the request target, 431 in the fields', () => {
    expect(overflowStatus(err(`GET /${'a'.repeat(30_000)}`))).toBe(414);
    expect(overflowStatus(err(`GET / HTTP/1.1\r\nX: ${'a'.repeat(30_000)}`))).toBe(431);
  });

  it('431 when it cannot tell: a packet that does not start a request, or no packet', () => {
    expect(overflowStatus(err('a'.repeat(30_000)))).toBe(431);
    expect(overflowStatus({})).toBe(431);
  });
});
