// The HTTP/2 inspector (proxy/h2/inspect.ts) on hand-made frames: it finds the fields nghttp2 would drop whatever
// way they are coded and however the bytes are split into reads, and leaves well-formed ones alone.
import { describe, expect, it } from 'vitest';
import { huffmanDecode } from '../../proxy/h2/huffman.ts';
import { H2Inspector } from '../../proxy/h2/inspect.ts';
import { frame } from '../helpers/h2-raw.ts';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

const str = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s, 'latin1')]), Buffer.from(s, 'latin1')]);
/** A literal without indexing, new name (RFC 7541 §6.2.2); `indexing` makes it one with incremental indexing. */
const literal = (name: string, value: string, indexing = false) => Buffer.concat([Buffer.from([indexing ? 0x40 : 0]), str(name), str(value)]);
// :method GET, :scheme https, :path / from the static table (indexed fields), then :authority as a literal.
const BASE = Buffer.concat([Buffer.from([0x82, 0x87, 0x84]), literal(':authority', 'ok.localhost')]);

function inspect(bytes: Buffer, split = 0): Array<[number, string]> {
  const found: Array<[number, string]> = [];
  const i = new H2Inspector(1 << 16, { malformed: (s, why) => found.push([s, why]), reset: () => {} });
  if (!split) i.push(bytes);
  else for (let at = 0; at < bytes.length; at += split) i.push(bytes.subarray(at, at + split));
  return found;
}

describe('HPACK Huffman decoding', () => {
  it('decodes RFC 7541 C.4.1 and refuses EOS or bad padding', () => {
    expect(huffmanDecode(Buffer.from('f1e3c2e5f23a6ba0ab90f4ff', 'hex'))?.toString()).toBe('www.example.com');
    expect(huffmanDecode(Buffer.from('fffffffc', 'hex'))).toBeNull(); // EOS (30 ones) is never a symbol
    expect(huffmanDecode(Buffer.from('f1e3c2e5f23a6ba0ab90f4fe', 'hex'))).toBeNull(); // padding not all ones
  });
});

describe('the inspector', () => {
  const conn = (...frames: Buffer[]) => Buffer.concat([PREFACE, frame(4, 0, 0, Buffer.alloc(0)), ...frames]);

  it('passes well-formed header blocks, and DATA holding any bytes', () => {
    const bytes = conn(frame(1, 0x4, 1, Buffer.concat([BASE, literal('x-ok', 'a\tb')])), frame(0, 0x1, 1, Buffer.from('x: a\r\n\0')));
    expect(inspect(bytes)).toEqual([]);
  });

  it('finds CR/LF/NUL in values and bad names, one split of the bytes or another', () => {
    const bytes = conn(
      frame(1, 0x5, 1, Buffer.concat([BASE, literal('x-a', 'a\r\nb')])),
      frame(1, 0x5, 3, Buffer.concat([BASE, literal('x b', 'ok')])),
      frame(1, 0x5, 5, Buffer.concat([BASE, literal('x-c', 'c\0')])),
    );
    for (const split of [0, 1, 2, 7, 9, 10, 64]) expect(inspect(bytes, split).map(([s]) => s), `split ${split}`).toEqual([1, 3, 5]);
  });

  it('reads header blocks across CONTINUATION, padding and priority', () => {
    const block = Buffer.concat([BASE, literal('x-evil', 'a\nb')]);
    const padded = Buffer.concat([Buffer.from([3]), Buffer.alloc(5), block.subarray(0, 10), Buffer.alloc(3)]); // PADDED + PRIORITY
    const bytes = conn(frame(1, 0x8 | 0x20, 7, padded), frame(9, 0x4, 7, block.subarray(10)));
    expect(inspect(bytes, 3)).toEqual([[7, expect.stringContaining('x-evil')]]);
  });

  it('refuses every later stream once a malformed field entered the HPACK table', () => {
    const bytes = conn(frame(1, 0x5, 1, Buffer.concat([BASE, literal('x-evil', 'a\rb', true)])), frame(1, 0x5, 3, Buffer.concat([BASE, Buffer.from([0x80 | 62])])));
    expect(inspect(bytes).map(([s]) => s)).toEqual([1, 3]);
  });

  it('tells of each RST_STREAM', () => {
    let resets = 0;
    const i = new H2Inspector(1 << 16, { malformed: () => {}, reset: () => resets++ });
    const rst = (id: number) => frame(3, 0, id, Buffer.from([0, 0, 0, 8]));
    i.push(conn(frame(1, 0x5, 1, BASE), rst(1), frame(1, 0x5, 3, BASE), rst(3)));
    expect(resets).toBe(2);
  });
});
