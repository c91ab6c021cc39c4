// Fast path: follows an app's chunked response body byte by byte, so it passes through unchanged and its end is known.

// biome-ignore lint/suspicious/noConstEnum: a byte parser's states, inlined as numbers in its hot loop (one file, no export)
const enum S { Size, Ext, SizeLf, Data, DataCr, DataLf, Trailer, TrailerLf, EndLf, Done }

// 12 hex digits (256 TB) is more than any body; more could lose precision.
const MAX_SIZE_DIGITS = 12;

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * A strict chunked-coding scanner (RFC 9112 §7.1). Each feed() says how many bytes to pass on to the
 * client as they are: everything up to the last chunk's size line. Trailer fields stop at the
 * router (as on the slow path, which never relays them); the caller ends the body with the
 * final CRLF itself once `done`. Any framing error makes `failed` true: the response cannot be
 * relayed further and the connection must not be reused.
 */
export class ChunkedScanner {
  /** Payload bytes seen (what the access log counts). */
  payload = 0;
  done = false;
  failed = false;
  /** Bytes of the fed buffer that belonged to this body; anything after is not part of the response. */
  used = 0;
  private s = S.Size;
  private left = 0;
  private digits = 0;
  private last = false;
  private lineLength = 0;

  /** Scans buf[from..]; returns how many of its bytes, from `from`, go to the client. */
  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: a byte parser: one loop over the states, read top to bottom like the RFC 9112 grammar it follows
  feed(buf: Buffer, from = 0): number {
    let i = from;
    let pass = -1; // where passing stops, once the trailer section starts
    const n = buf.length;
    while (i < n && !this.failed && this.s !== S.Done) {
      const c = buf[i]!;
      switch (this.s) {
        case S.Size: {
          const h = hex(c);
          if (h >= 0 && this.digits < MAX_SIZE_DIGITS) {
            this.left = this.left * 16 + h;
            this.digits++;
          } else if (this.digits > 0 && c === 0x3b /* ; */) this.s = S.Ext;
          else if (this.digits > 0 && c === 0x0d) this.s = S.SizeLf;
          else this.failed = true;
          i++;
          break;
        }
        case S.Ext:
          // A chunk extension: visible characters, spaces and tabs up to the CR.
          if (c === 0x0d) this.s = S.SizeLf;
          else if (c !== 0x09 && (c < 0x20 || c === 0x7f)) this.failed = true;
          i++;
          break;
        case S.SizeLf:
          if (c !== 0x0a) {
            this.failed = true;
            break;
          }
          i++;
          this.digits = 0;
          if (this.left === 0) {
            this.last = true;
            this.s = S.Trailer;
            this.lineLength = 0;
            pass = i;
          } else this.s = S.Data;
          break;
        case S.Data: {
          const take = Math.min(this.left, n - i);
          this.left -= take;
          this.payload += take;
          i += take;
          if (this.left === 0) this.s = S.DataCr;
          break;
        }
        case S.DataCr:
          if (c !== 0x0d) this.failed = true;
          else this.s = S.DataLf;
          i++;
          break;
        case S.DataLf:
          if (c !== 0x0a) this.failed = true;
          else this.s = S.Size;
          i++;
          break;
        case S.Trailer:
          // A trailer line (dropped), or the empty line that ends the message.
          if (c === 0x0d) this.s = this.lineLength === 0 ? S.EndLf : S.TrailerLf;
          else if (c === 0x0a || (c < 0x20 && c !== 0x09) || c === 0x7f || ++this.lineLength > 8192) this.failed = true;
          i++;
          break;
        case S.TrailerLf:
          if (c !== 0x0a) this.failed = true;
          this.s = S.Trailer;
          this.lineLength = 0;
          i++;
          break;
        case S.EndLf:
          if (c !== 0x0a) this.failed = true;
          else this.s = S.Done;
          i++;
          break;
      }
    }
    this.used = i - from;
    if (this.s === S.Done) this.done = true;
    // In the trailer section nothing more is passed on; before it, all that was scanned is.
    if (this.last) return (pass >= 0 ? pass : from) - from;
    return i - from;
  }
}
