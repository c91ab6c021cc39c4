// Fast path: strict parsers for the common request head and for an app's response head; anything unusual is refused.
import { routerOwned } from '../edge/forwarded.ts';
import { isRequestId } from '../edge/request-id.ts';
import { HOP, KEPT } from '../edge/hop.ts';

/** A request head simple enough for the fast path (see parseRequest). */
export interface RequestHead {
  method: string;
  /** The origin-form request target, as sent. */
  target: string;
  /** Bytes of the head, its final empty line included. */
  size: number;
  /** The Host value (trimmed). */
  host: string;
  /** The body length; 0 without Content-Length. */
  length: number;
  /** The client sent `Connection: close`. */
  close: boolean;
  /** The client's own X-Request-Id when it is one safe token, else null. */
  id: string | null;
  /** The client sent forwarding headers (X-Forwarded-*, Forwarded, X-Real-IP), which a trusted peer's would keep. */
  forwarded: boolean;
  /** The end-to-end header lines for the app, each ending in CRLF. */
  lines: string;
}

/** An app's response head, its hop-by-hop headers dropped (as hop.ts responseHeaderList does). */
export interface ResponseHead {
  status: number;
  /** The reason phrase, or '' for Node's default one. */
  reason: string;
  size: number;
  /** The end-to-end header lines, without X-Request-Id, each ending in CRLF. */
  lines: string;
  /** Content-Length, or -1 without one (or under a Transfer-Encoding). */
  length: number;
  chunked: boolean;
  /** The app closes its connection after this response. */
  close: boolean;
  /** How long the app keeps an idle connection (its Keep-Alive timeout, ms), or -1 when it did not say. */
  keepAliveMs: number;
  hasDate: boolean;
}

// Node's strict parser allows more (and answers the rest with a 400): those go the slow way.
const MAX_REQUEST_HEAD = 8192;
const MAX_RESPONSE_HEAD = 16384; // undici's limit on the slow path
const MAX_HEADERS = 100;
const END = Buffer.from('\r\n\r\n');
const REQUEST_LINE = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (\/[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*) HTTP\/1\.1$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
// A field value: visible characters, spaces and tabs (and obs-text from an app).
const VALUE = /^[\t\x20-\x7e]*$/;
const RESPONSE_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DIGITS = /^\d{1,15}$/;
// Any byte a request head may not hold (controls, DEL, obs-text); CR and LF are checked per line.
const REQUEST_BYTES = /[^\t\x20-\x7e\r\n]/;
const RESPONSE_BYTES = /[^\t\x20-\x7e\x80-\xff\r\n]/;
const BARE = /\r|\n/;

/**
 * A field line split as [token name, value with its OWS trimmed], or null. Split by code: one regex with OWS
 * around a lazy value backtracked quadratically over a run of spaces (16,000 of them cost ~340 ms).
 */
function field(line: string, value: RegExp): [string, string] | null {
  const colon = line.indexOf(':');
  if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) return null;
  let start = colon + 1;
  let end = line.length;
  while (start < end && (line.charCodeAt(start) === 0x20 || line.charCodeAt(start) === 0x09)) start++;
  while (end > start && (line.charCodeAt(end - 1) === 0x20 || line.charCodeAt(end - 1) === 0x09)) end--;
  const v = line.slice(start, end);
  return value.test(v) ? [line.slice(0, colon), v] : null;
}

const USER_AGENT = /(?:^|\n)user-agent:[ \t]*([^\r]*)/i;

/** The first User-Agent among a head's kept header lines (for the access log, as Node keeps the first), or null. */
export function userAgent(lines: string): string | null {
  const m = USER_AGENT.exec(lines);
  return m ? m[1]!.trimEnd() : null;
}

/**
 * The head at `from` in `buf`: a RequestHead, 'incomplete' while its end has not arrived, or null
 * when anything about it is unusual (the slow path, with Node's parser, then answers it).
 */
export function parseRequest(buf: Buffer, from = 0): RequestHead | 'incomplete' | null {
  const end = buf.indexOf(END, from);
  if (end < 0) return buf.length - from > MAX_REQUEST_HEAD ? null : 'incomplete';
  if (end + 4 - from > MAX_REQUEST_HEAD) return null;
  const text = buf.toString('latin1', from, end);
  if (REQUEST_BYTES.test(text)) return null;
  const fields = text.split('\r\n');
  if (fields.length > MAX_HEADERS + 1) return null;
  const line = REQUEST_LINE.exec(fields[0]!);
  if (!line) return null;
  let host: string | null = null;
  let length = -1;
  let close = false;
  let id: string | null = null;
  let ids = 0;
  let forwarded = false;
  let named: string[] | null = null;
  const kept: string[] = []; // lowercase name, line, ...
  for (let i = 1; i < fields.length; i++) {
    const f = field(fields[i]!, VALUE);
    if (!f || BARE.test(fields[i]!)) return null; // obs-fold, a bare CR or LF, a bad name
    const name = f[0].toLowerCase();
    const value = f[1];
    switch (name) {
      case 'host':
        if (host !== null) return null;
        host = value;
        kept.push(name, fields[i]!);
        break;
      case 'content-length':
        // `1\t` (trailing OWS): Node's parser, the slow path's and most apps', refuses it; the slow path answers.
        if (length >= 0 || !DIGITS.test(value) || !fields[i]!.endsWith(value)) return null;
        length = Number(value);
        kept.push(name, fields[i]!);
        break;
      case 'transfer-encoding': case 'upgrade': case 'expect':
        return null; // chunked bodies, websockets and 100-continue: Node's job
      case 'connection':
        for (const raw of value.split(',')) {
          const t = raw.trim().toLowerCase();
          if (t === '' || t === 'keep-alive') continue;
          if (!TOKEN.test(t) || t === 'upgrade') return null;
          if (t === 'close') close = true;
          else if (!KEPT.has(t)) (named ??= []).push(t);
        }
        break;
      case 'x-request-id':
        ids++;
        id = value;
        break;
      default:
        if (HOP.has(name)) break;
        if (routerOwned(name)) {
          forwarded = true;
          break;
        }
        kept.push(name, fields[i]!);
    }
  }
  if (host === null || host === '') return null;
  let lines = '';
  for (let i = 0; i < kept.length; i += 2) if (!named?.includes(kept[i]!)) lines += `${kept[i + 1]}\r\n`;
  return {
    method: line[1]!, target: line[2]!, size: end + 4 - from, host, length: Math.max(length, 0), close,
    id: ids === 1 && isRequestId(id!) ? id : null, forwarded, lines,
  };
}

/** The app's response head at `from`: a ResponseHead, 'incomplete', or null for one the router must not relay. */
export function parseResponse(buf: Buffer, from = 0): ResponseHead | 'incomplete' | null {
  const end = buf.indexOf(END, from);
  // A head with bare LFs never ends in CRLFCRLF: refused at once, as undici does, not after the timeout.
  if (end < 0) return buf.length - from > MAX_RESPONSE_HEAD || bareLf(buf, from) ? null : 'incomplete';
  if (end + 4 - from > MAX_RESPONSE_HEAD) return null;
  const text = buf.toString('latin1', from, end);
  if (RESPONSE_BYTES.test(text)) return null;
  const fields = unfold(text.split('\r\n'));
  if (!fields || fields.length > MAX_HEADERS * 2 + 1) return null;
  const line = STATUS_LINE.exec(fields[0]!);
  if (!line || BARE.test(fields[0]!)) return null;
  const http10 = line[1] === '0';
  let length = -1;
  let chunked = false;
  let close = http10;
  let keepAliveMs = -1;
  let hasDate = false;
  let named: string[] | null = null;
  const kept: string[] = [];
  for (let i = 1; i < fields.length; i++) {
    const f = field(fields[i]!, RESPONSE_VALUE);
    if (!f || BARE.test(fields[i]!)) return null;
    const name = f[0].toLowerCase();
    const value = f[1];
    if (name === 'content-length') {
      // One valid length: two (even equal) or one beside a Transfer-Encoding are refused, as undici does.
      if (!DIGITS.test(value) || length >= 0 || chunked) return null;
      kept.push(name, fields[i]!);
      length = Number(value);
    } else if (name === 'transfer-encoding') {
      // Only plain chunked: another coding would reach the client undecoded and unlabelled.
      if (chunked || value.toLowerCase() !== 'chunked' || length >= 0) return null;
      chunked = true;
    } else if (name === 'connection') {
      for (const raw of value.split(',')) {
        const t = raw.trim().toLowerCase();
        if (t === 'close') close = true;
        else if (t === 'keep-alive' && http10) close = false;
        else if (t && t !== 'keep-alive' && !KEPT.has(t)) (named ??= []).push(t);
      }
    } else if (name === 'keep-alive') {
      const m = /timeout=(\d{1,6})/i.exec(value);
      if (m) keepAliveMs = Number(m[1]) * 1000;
    } else if (!HOP.has(name) && name !== 'x-request-id') {
      kept.push(name, fields[i]!);
    }
  }
  let lines = '';
  for (let i = 0; i < kept.length; i += 2) {
    const name = kept[i]!;
    if (named?.includes(name) || (chunked && name === 'content-length')) continue;
    if (name === 'date') hasDate = true;
    lines += `${kept[i + 1]}\r\n`;
  }
  return {
    status: Number(line[2]), reason: line[3] ?? '', size: end + 4 - from, lines, length: chunked ? -1 : length,
    // RFC 9112 §6.1: chunked in an HTTP/1.0 message is read as chunked, and the connection closed after it.
    chunked, close: close || (http10 && chunked), keepAliveMs, hasDate,
  };
}

/**
 * A response's field lines with obs-fold undone (RFC 9112 §5.2: a proxy may replace it with a
 * space, as undici does on the slow path), or null when the first one starts with whitespace.
 */
function unfold(fields: string[]): string[] | null {
  let out: string[] | null = null;
  for (let i = 1; i < fields.length; i++) {
    const c = fields[i]!.charCodeAt(0);
    if (c !== 0x20 && c !== 0x09) {
      out?.push(fields[i]!);
      continue;
    }
    if (i === 1) return null;
    out ??= fields.slice(0, i);
    out[out.length - 1] = `${out[out.length - 1]!.trimEnd()} ${fields[i]!.trim()}`;
  }
  return out ?? fields;
}

/** Whether buf[from..] holds an LF without its CR. */
function bareLf(buf: Buffer, from: number): boolean {
  for (let i = buf.indexOf(0x0a, from); i >= 0; i = buf.indexOf(0x0a, i + 1)) if (i === from || buf[i - 1] !== 0x0d) return true;
  return false;
}
