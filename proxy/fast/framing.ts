// Fast path: the bytes of the router's own answers (its pages) and of the Date header, written raw.
import { STATUS_CODES } from 'node:http';
import { renderPage, type Page } from '../edge/pages.ts';

let dateAt = 0;
let dateLine = '';
/** Node's Date header, made at most once a second. */
export function date(): string {
  const now = Date.now();
  if (now - dateAt >= 1000) {
    dateAt = now - (now % 1000);
    dateLine = `Date: ${new Date(dateAt).toUTCString()}\r\n`;
  }
  return dateLine;
}

/** A page's head and body, as sendPage writes them on the slow path. */
export function pageBytes(p: Page, requestId: string, keepAliveHeader: string): { head: string; body: Buffer } {
  const body = Buffer.from(renderPage(p));
  let extra = '';
  for (const [k, v] of Object.entries(p.headers ?? {})) extra += `${k}: ${v}\r\n`;
  const head = `HTTP/1.1 ${p.status} ${STATUS_CODES[p.status] ?? 'Error'}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: ${body.length}\r\ncache-control: no-store\r\n${extra}x-request-id: ${requestId}\r\n${date()}${keepAliveHeader}\r\n`;
  return { head, body };
}
