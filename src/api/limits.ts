// The API's limits on what a client sends: time to send the head and the body, time to get an answer,
// JSON size, depth and keys; refusals logged at a bounded rate.
import type { IncomingMessage, Server } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { BoundedLog, createLogger, type Logger } from '../core/index.ts';

export interface ApiTimeouts {
  /** Until the request's head (line and headers) has arrived: every route, git included. */
  headersMs: number;
  /** Until the whole body has arrived: every route but git (a push uploads its pack for as long as it takes). */
  bodyMs: number;
  /** Until the answer is complete: every route but git and the streams (`keepOpen`). */
  answerMs: number;
}

export const DEFAULT_TIMEOUTS: ApiTimeouts = { headersMs: 20_000, bodyMs: 30_000, answerMs: 600_000 };
/** Deeper JSON than any API body needs; checked on the raw bytes, before parsing and without recursion. */
export const MAX_JSON_DEPTH = 64;

export type Refusals = (req: IncomingMessage, why: string) => void;

/** Refused requests, in the operator's log at most 10 times a minute (then counted). */
export function refusalLog(log: Logger): Refusals {
  const refusals = new BoundedLog((line) => log.warn(line));
  return (req, why) => {
    const path = (req.url ?? '').split('?')[0]!.slice(0, 100);
    refusals.line(`API refused ${req.method} ${JSON.stringify(path)} from ${req.socket.remoteAddress ?? 'unknown'}: ${why}`);
  };
}

/** Node's own timers: the head must arrive in time; the whole request is timed per route (git excepted). */
export function serverTimeouts(server: Server, t: ApiTimeouts): void {
  server.headersTimeout = t.headersMs;
  server.requestTimeout = 0; // per route instead: a push uploads its pack and waits for its whole build
}

const streams = new WeakSet<Response>();

/** A log stream stays open as long as the client reads it: no answer deadline. */
export function keepOpen(res: Response): void {
  streams.add(res);
}

/** Cuts a request whose body does not arrive within `bodyMs`, and one not answered within `answerMs`. */
export function deadlines(t: ApiTimeouts, logRefusal: Refusals = refusalLog(createLogger({ label: 'api' }))): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const cut = (status: number, error: string, hint?: string) => {
      logRefusal(req, error);
      if (!res.headersSent) res.status(status).set('connection', 'close').json({ error, ...(hint && { hint }) });
      // The answer first, then the connection: a client still sending gets no more of our time.
      res.once('finish', () => req.socket.destroy());
      if (res.headersSent) req.socket.destroy();
    };
    const body = t.bodyMs > 0 && setTimeout(() => {
      if (!req.complete) cut(408, `the request body did not arrive within ${t.bodyMs / 1000} s`);
    }, t.bodyMs);
    const answer = t.answerMs > 0 && setTimeout(() => {
      if (!streams.has(res)) cut(503, `no answer within ${t.answerMs / 1000} s`, 'what was asked may still finish: look again with `minicloud apps:info` or `minicloud releases`');
    }, t.answerMs);
    const done = () => { if (body) clearTimeout(body); if (answer) clearTimeout(answer); };
    res.once('finish', done);
    res.once('close', done);
    next();
  };
}

/** An error express turns into a 4xx answer (http-errors' shape). */
const clientError = (status: number, message: string, type: string) => Object.assign(new Error(message), { status, statusCode: status, expose: true, type });

/** Throws (400) when `buf` nests arrays and objects deeper than `max`; strings are skipped, escapes included. */
export function checkJsonDepth(buf: Buffer, max = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next byte is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) throw clientError(400, `the JSON body nests deeper than ${max} levels`, 'entity.too.deep');
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

/** `__proto__` as a key is never meant: dropped, so no code that copies keys can change a prototype. */
function dropProto(key: string, value: unknown): unknown {
  return key === '__proto__' ? undefined : value;
}

/** express.json with the size limit (413 above it), the depth check (400) and `__proto__` keys dropped. */
export function jsonBody(limit = '1mb'): RequestHandler {
  return express.json({ limit, verify: (_req, _res, buf) => checkJsonDepth(buf), reviver: dropProto });
}
