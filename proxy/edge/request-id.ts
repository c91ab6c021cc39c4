// The request id every answer and every app request carries: a client's own when it is one safe token, else a made one.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// One token that is safe in a log line and a header; a client's id of any other shape is replaced.
const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

// Made ids: a random prefix per process and a counter, unique without a random draw per request.
const ID_PREFIX = randomBytes(8).toString('hex');
let idCounter = 0;

/** Whether a client's X-Request-Id value can be kept as the request's id. */
export function isRequestId(value: string): boolean {
  return REQUEST_ID.test(value);
}

/** Keeps a client's X-Request-Id when it is a single safe token (it ends up in logs), else makes one. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : newRequestId();
}

/** A fresh request id, for a request that brought no usable one. */
export function newRequestId(): string {
  return `${ID_PREFIX}-${(++idCounter).toString(36)}`;
}
