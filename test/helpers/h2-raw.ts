// Test helper: HTTP/2 frames written by hand over TLS, for what Node's own client refuses to send (connection-specific
// headers, CR/LF in values, bad pseudo-headers, DATA that disagrees with Content-Length, rapid resets). Header blocks
// use HPACK literals without indexing or Huffman; answers are read as far as the tests need (:status, RST_STREAM, GOAWAY).
import { connect, type TLSSocket } from 'node:tls';
import { HUFFMAN_LENGTHS } from '../../proxy/h2/huffman.ts';

/**
 * A header field, as `[name, value]` (an HPACK literal without indexing, new name, no Huffman) or with how to code it:
 * `huffman` (the value Huffman-coded), `indexed` (a literal with incremental indexing: it enters the dynamic table),
 * `indexed-name` (the name by its static table index).
 */
export type Field = [string, string] | [string, string, 'huffman' | 'indexed' | 'indexed-name'];

export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, GOAWAY: 7 } as const;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;

/** What the server said about one stream. */
export interface StreamResult { status?: number; reset?: number; body: string }

export class RawH2 {
  private buf = Buffer.alloc(0);
  readonly streams = new Map<number, StreamResult>();
  goaway: number | null = null;
  closed = false;
  /** The server's SETTINGS came (and were acknowledged): its limits, such as max concurrent streams, now hold. */
  settled = false;
  private waiters = new Set<() => void>();

  private constructor(private readonly socket: TLSSocket) {
    socket.on('data', (d: Buffer) => this.read(d));
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => {});
    socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(FRAME.SETTINGS, 0, 0, Buffer.alloc(0))]));
  }

  static open(port: number, servername: string): Promise<RawH2> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, servername, ALPNProtocols: ['h2'], rejectUnauthorized: false }, () => {
        if (s.alpnProtocol !== 'h2') return reject(new Error(`ALPN gave ${s.alpnProtocol}, not h2`));
        resolve(new RawH2(s));
      });
      s.once('error', reject);
    });
  }

  /**
   * A HEADERS frame (END_HEADERS; END_STREAM unless a body follows) with these fields, in this order, then fields
   * named only by their HPACK table index (`indexed`).
   */
  headers(stream: number, fields: Field[], endStream = true, indexed: number[] = []): void {
    const block = Buffer.concat([...fields.map(field), ...indexed.map((i) => Buffer.from([0x80 | i]))]);
    this.socket.write(frame(FRAME.HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream, block));
  }

  data(stream: number, body: string, endStream = true): void {
    this.socket.write(frame(FRAME.DATA, endStream ? END_STREAM : 0, stream, Buffer.from(body)));
  }

  /** The client's GOAWAY (NO_ERROR): it opens no more streams. */
  goAway(lastStream = 0): void {
    const p = Buffer.alloc(8);
    p.writeUInt32BE(lastStream);
    this.socket.write(frame(FRAME.GOAWAY, 0, 0, p));
  }

  reset(stream: number, code = 8 /* CANCEL */): void {
    const p = Buffer.alloc(4);
    p.writeUInt32BE(code);
    this.socket.write(frame(FRAME.RST_STREAM, 0, stream, p));
  }

  /** Waits until `done` holds (checked on every frame), or `ms` passed; says which. */
  async until(done: () => boolean, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (this.closed || Date.now() >= deadline) return done();
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiters.add(() => (clearTimeout(t), r()));
      });
    }
    return true;
  }

  /** Waits for stream `id` to end (its answer complete, or reset) or the connection to end. */
  async result(id: number, ms = 10_000): Promise<StreamResult & { goaway: number | null; closed: boolean }> {
    await this.until(() => this.ended.has(id) || this.goaway !== null, ms);
    return { ...(this.streams.get(id) ?? { body: '' }), goaway: this.goaway, closed: this.closed };
  }

  close(): void {
    this.socket.destroy();
  }

  private readonly ended = new Set<number>();

  private wake(): void {
    for (const w of [...this.waiters]) w();
    this.waiters.clear();
  }

  private read(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    while (this.buf.length >= 9) {
      const len = this.buf.readUIntBE(0, 3);
      if (this.buf.length < 9 + len) break;
      const [type, flags, id] = [this.buf[3]!, this.buf[4]!, this.buf.readUInt32BE(5) & 0x7fffffff];
      const payload = this.buf.subarray(9, 9 + len);
      this.buf = this.buf.subarray(9 + len);
      this.onFrame(type, flags, id, payload);
    }
    this.wake();
  }

  private onFrame(type: number, flags: number, id: number, payload: Buffer): void {
    const s = id ? (this.streams.get(id) ?? { body: '' }) : null;
    if (s) this.streams.set(id, s);
    if (type === FRAME.SETTINGS && !(flags & 1)) (this.socket.write(frame(FRAME.SETTINGS, 1, 0, Buffer.alloc(0))), (this.settled = true));
    else if (type === FRAME.GOAWAY) this.goaway = payload.readUInt32BE(4);
    else if (type === FRAME.RST_STREAM && s) (s.reset = payload.readUInt32BE(0), this.ended.add(id));
    else if (type === FRAME.HEADERS && s) s.status ??= firstStatus(payload, flags);
    else if (type === FRAME.DATA && s) s.body += payload.toString();
    if ((type === FRAME.HEADERS || type === FRAME.DATA) && flags & END_STREAM) this.ended.add(id);
  }
}

/** One HTTP/2 frame: its 9-byte header (length, type, flags, stream) and payload. */
export function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

// The static table entries the tests name by index (RFC 7541 Appendix A).
const STATIC_NAMES: Record<string, number> = { host: 38, 'user-agent': 58 };

/** HPACK: a literal field (RFC 7541 §6.2): without indexing, new name, no Huffman unless the field says otherwise. */
function field([name, value, how]: Field): Buffer {
  const str = (s: string, huffman = false) => {
    const bytes = huffman ? huffmanEncode(Buffer.from(s, 'latin1')) : Buffer.from(s, 'latin1');
    const len = int(bytes.length);
    if (huffman) len[0]! |= 0x80;
    return Buffer.concat([len, bytes]);
  };
  if (how === 'indexed-name') return Buffer.concat([int(STATIC_NAMES[name]!, 4), str(value)]);
  return Buffer.concat([Buffer.from([how === 'indexed' ? 0x40 : 0]), str(name), str(value, how === 'huffman')]);
}

/** HPACK integer with an n-bit prefix (7: a string length's), the prefix's other bits zero. */
function int(n: number, prefix = 7): Buffer {
  const max = (1 << prefix) - 1;
  if (n < max) return Buffer.from([n]);
  const out = [max];
  for (n -= max; n >= 128; n >>= 7) out.push((n & 127) | 128);
  out.push(n);
  return Buffer.from(out);
}

/** HPACK Huffman coding (the canonical code rebuilt from its lengths), padded with ones. */
function huffmanEncode(bytes: Buffer): Buffer {
  const order = [...HUFFMAN_LENGTHS.keys()].sort((a, b) => HUFFMAN_LENGTHS[a]! - HUFFMAN_LENGTHS[b]! || a - b);
  const codes = new Array<number>(order.length);
  let code = 0;
  let prev = HUFFMAN_LENGTHS[order[0]!]!;
  for (const sym of order) {
    code *= 2 ** (HUFFMAN_LENGTHS[sym]! - prev);
    prev = HUFFMAN_LENGTHS[sym]!;
    codes[sym] = code++;
  }
  let bits = '';
  for (const b of bytes) bits += codes[b]!.toString(2).padStart(HUFFMAN_LENGTHS[b]!, '0');
  bits += '1'.repeat((8 - (bits.length % 8)) % 8);
  return Buffer.from(Array.from({ length: bits.length / 8 }, (_, i) => parseInt(bits.slice(i * 8, i * 8 + 8), 2)));
}

// The static table's :status entries (RFC 7541 Appendix A).
const STATIC_STATUS: Record<number, number> = { 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 };

/**
 * The :status of a response header block: its first field (servers send :status first), either a static-table
 * entry or a literal whose name is entry 8 and whose value is three digits, Huffman-coded or not.
 */
function firstStatus(block: Buffer, flags: number): number | undefined {
  let i = 0;
  if (flags & 0x8) i += 1 + block[0]!; // PADDED
  if (flags & 0x20) i += 5; // PRIORITY
  const b = block[i]!;
  if (b & 0x80) return STATIC_STATUS[b & 0x7f];
  const huffman = (block[i + 1]! & 0x80) !== 0;
  const len = block[i + 1]! & 0x7f;
  const value = block.subarray(i + 2, i + 2 + len);
  return Number(huffman ? huffmanDigits(value) : value.toString('latin1'));
}

/** Decodes a Huffman-coded string of digits (RFC 7541 Appendix B: '0'-'2' are 5 bits, '3'-'9' 6 bits). */
function huffmanDigits(bytes: Buffer): string {
  let bits = '';
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i + 5 <= bits.length && out.length < 3;) {
    const five = parseInt(bits.slice(i, i + 5), 2);
    if (five <= 2) (out += String(five), (i += 5));
    else (out += String(parseInt(bits.slice(i, i + 6), 2) - 0x19 + 3), (i += 6));
  }
  return out;
}
