// The client's side of an HTTP/2 connection, read before nghttp2 reads it, for the header fields nghttp2 would drop
// without a word: a name that is not a lowercase token, a value with CR, LF, NUL or another control character, or
// whitespace at its ends (RFC 9113 §8.2.1). Node's http2 gives no hook for them (nghttp2 passes a request on without
// the field), so the router would not know a client tried `x: a\r\nTransfer-Encoding: chunked`; with this it refuses it.
// Only literal fields carry new bytes: an indexed one repeats a field that was a literal once (and then seen here).
import { huffmanDecode } from './huffman.ts';

const PREFACE = 24; // 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const CONTINUATION = 0x9;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

const NAME = /^:?[!#$%&'*+\-.^_`|~0-9a-z]+$/;
// nghttp2's own test (nghttp2_check_header_value_rfc9113): HTAB is the only control character a value may hold.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]|^[\t ]|[\t ]$/;

/** What the inspector tells: a stream whose header block holds a field that must be refused (and why); a reset. */
export interface InspectorEvents {
  malformed(stream: number, why: string): void;
  /** The client sent RST_STREAM (seen before nghttp2 reads it: the rapid-reset budget spends it first). */
  reset(): void;
}

export class H2Inspector {
  private preface = PREFACE;
  private head: Buffer = Buffer.alloc(0);
  /** Payload bytes of the current frame still to come, and whether they are a header block fragment to keep. */
  private left = 0;
  private keep: { type: number; flags: number; stream: number; parts: Buffer[] } | null = null;
  /** The fragments of a header block that a CONTINUATION will finish. */
  private block: { stream: number; parts: Buffer[]; size: number } | null = null;
  /**
   * A malformed field went into the HPACK table: a later request may name it by index, which nghttp2 then drops
   * again unseen here, so every later request on the connection is refused too.
   */
  private poisoned: string | null = null;

  constructor(private readonly maxBlock: number, private readonly on: InspectorEvents) {}

  /** Reads the next bytes the client sent. */
  push(chunk: Buffer): void {
    let i = 0;
    if (this.preface > 0) {
      i = Math.min(this.preface, chunk.length);
      this.preface -= i;
    }
    while (i < chunk.length) {
      if (this.left > 0) {
        const n = Math.min(this.left, chunk.length - i);
        if (this.keep) this.keep.parts.push(chunk.subarray(i, i + n));
        this.left -= n;
        i += n;
        if (this.left === 0 && this.keep) this.frame(this.keep.type, this.keep.flags, this.keep.stream, Buffer.concat(this.keep.parts));
        continue;
      }
      const need = 9 - this.head.length;
      const got = chunk.subarray(i, i + need);
      i += got.length;
      this.head = this.head.length ? Buffer.concat([this.head, got]) : got;
      if (this.head.length < 9) break;
      const h = this.head;
      this.head = Buffer.alloc(0);
      const [len, type, flags, stream] = [h.readUIntBE(0, 3), h[3]!, h[4]!, h.readUInt32BE(5) & 0x7fffffff];
      if (type === RST_STREAM) this.on.reset();
      const kept = type === HEADERS || type === CONTINUATION;
      this.keep = kept ? { type, flags, stream, parts: [] } : null;
      this.left = len;
      if (len === 0 && kept) this.frame(type, flags, stream, Buffer.alloc(0));
    }
  }

  private frame(type: number, flags: number, stream: number, payload: Buffer): void {
    this.keep = null;
    let fragment = payload;
    if (type === HEADERS) {
      let start = 0;
      let end = payload.length;
      if (flags & PADDED) (start = 1), (end -= payload[0] ?? 0);
      if (flags & PRIORITY) start += 5;
      fragment = start <= end ? payload.subarray(start, end) : Buffer.alloc(0);
      this.block = { stream, parts: [], size: 0 };
    } else if (!this.block || this.block.stream !== stream) {
      return; // a CONTINUATION out of place: nghttp2 ends the connection for it
    }
    const b = this.block!;
    b.size += fragment.length;
    if (b.size > this.maxBlock) {
      // Bigger than any head the router admits: nghttp2 refuses it by its header list size; stop keeping it.
      this.block = null;
      return;
    }
    b.parts.push(fragment);
    if (!(flags & END_HEADERS)) return;
    this.block = null;
    const why = this.poisoned ?? this.scan(Buffer.concat(b.parts));
    if (why) this.on.malformed(stream, why);
  }

  /** The first field of an HPACK block that must be refused, and why; null when none (or the block is not valid HPACK). */
  private scan(block: Buffer): string | null {
    let i = 0;
    while (i < block.length) {
      const x = block[i]!;
      if (x & 0x80) {
        i = int(block, i, 7)?.[1] ?? block.length; // indexed field
        continue;
      }
      if ((x & 0xe0) === 0x20) {
        i = int(block, i, 5)?.[1] ?? block.length; // dynamic table size update
        continue;
      }
      const indexing = (x & 0x40) !== 0;
      const index = int(block, i, indexing ? 6 : 4);
      if (!index) return null;
      i = index[1];
      let name: Buffer | null = null;
      if (index[0] === 0) {
        const s = string(block, i);
        if (!s) return null;
        [name, i] = s;
      }
      const v = string(block, i);
      if (!v) return null;
      const value = v[0];
      i = v[1];
      const why = name && !NAME.test(name.toString('latin1'))
        ? `a header name that is not a lowercase token (${JSON.stringify(name.toString('latin1').slice(0, 64))})`
        : BAD_VALUE.test(value.toString('latin1')) ? `a CR, LF, NUL, other control character or surrounding whitespace in the value of ${name ? name.toString('latin1').slice(0, 64) : 'a header'}` : null;
      if (why) {
        if (indexing) this.poisoned = `an earlier request on this connection put a malformed field in its header table: ${why}`;
        return why;
      }
    }
    return null;
  }
}

/** An HPACK integer with an n-bit prefix at `i`: its value and the index after it, or null past the end. */
function int(b: Buffer, i: number, n: number): [number, number] | null {
  const max = (1 << n) - 1;
  let v = b[i]! & max;
  i++;
  if (v < max) return [v, i];
  for (let shift = 0; i < b.length && shift <= 28; shift += 7) {
    const c = b[i++]!;
    v += (c & 0x7f) * 2 ** shift;
    if (!(c & 0x80)) return [v, i];
  }
  return null;
}

/** An HPACK string literal at `i` (Huffman-decoded when coded): its bytes and the index after it, or null. */
function string(b: Buffer, i: number): [Buffer, number] | null {
  if (i >= b.length) return null;
  const huffman = (b[i]! & 0x80) !== 0;
  const len = int(b, i, 7);
  if (!len || len[1] + len[0] > b.length) return null;
  const raw = b.subarray(len[1], len[1] + len[0]);
  const bytes = huffman ? huffmanDecode(raw) : raw;
  return bytes ? [bytes, len[1] + len[0]] : null;
}
