// ACME HTTP-01: the router answers /.well-known/acme-challenge/<token> itself, for any host, before routing.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Where ACME HTTP-01 fetches come (RFC 8555 §8.3). */
export const ACME_PREFIX = '/.well-known/acme-challenge/';
// Tokens are base64url (RFC 8555 §8.3); anything else is not a challenge we could have made.
const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * Answers the request when it is a challenge fetch: the key authorization (200) or 404. Returns the
 * body bytes sent, or null when the request is not a challenge and goes on to routing.
 */
export function answerChallenge(req: IncomingMessage, res: ServerResponse, lookup: (token: string) => string | null): number | null {
  const url = req.url ?? '';
  if (!isAcmeChallenge(url) || (req.method !== 'GET' && req.method !== 'HEAD')) return null;
  const token = url.slice(ACME_PREFIX.length).split('?')[0]!;
  const answer = TOKEN.test(token) ? lookup(token) : null;
  const body = answer ?? 'no such challenge\n';
  res.writeHead(answer ? 200 : 404, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
  if (!req.complete) req.resume();
  return req.method === 'HEAD' ? 0 : Buffer.byteLength(body);
}

/** Whether a request target is an ACME HTTP-01 fetch: answered over plain HTTP, whatever the app's https-only setting. */
export function isAcmeChallenge(url: string | undefined): boolean {
  return url?.startsWith(ACME_PREFIX) ?? false;
}
