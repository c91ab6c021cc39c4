// Large transfers (a server archive down or up) over node:http(s) itself: no time limit while the server prepares
// its answer (fetch gives up after 5 minutes without headers), the body streamed both ways, errors as UserError.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { UserError } from '../../core/index.ts';

export function rawRequest(base: string, authorization: string, method: string, path: string, body?: { stream: Readable; type: string; length: number }): Promise<IncomingMessage> {
  const url = new URL(base + path);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = send(url, {
      method,
      headers: { authorization, accept: 'application/json', ...(body && { 'content-type': body.type, 'content-length': String(body.length) }) },
    }, (res) => {
      answered = true;
      if ((res.statusCode ?? 500) < 400) return resolve(res);
      body?.stream.unpipe(req).destroy(); // refused: the rest of the upload is not wanted
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => { if (text.length < 65536) text += d; });
      res.on('end', () => reject(errorOf(res.statusCode ?? 500, text)));
      res.on('error', () => reject(errorOf(res.statusCode ?? 500, text)));
    });
    // A server that refuses an upload early answers, then closes: the answer, not the broken write, is what to tell.
    req.on('error', (e: NodeJS.ErrnoException) => setTimeout(() => {
      if (!answered) reject(new UserError(`the connection to minicloud at ${base} failed: ${e.code ?? e.message}`, 'is it running? set MINICLOUD_URL to point elsewhere'));
    }, body ? 1000 : 0));
    if (body) body.stream.on('error', (e) => req.destroy(e)).pipe(req);
    else req.end();
  });
}

function errorOf(status: number, text: string): UserError {
  let b: { error?: unknown; hint?: unknown } = {};
  try { b = JSON.parse(text) as typeof b; } catch { /* not our JSON */ }
  const hint = status === 401 ? 'run `minicloud login` with a valid token' : typeof b.hint === 'string' ? b.hint : undefined;
  return new UserError(typeof b.error === 'string' ? b.error : `HTTP ${status}`, hint, status);
}
