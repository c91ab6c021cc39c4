// The router's own HTML answers (400/404/413/414/431/502/503/504): one small self-contained template, no assets.
import type { ServerResponse } from 'node:http';

export interface Page {
  status: number;
  title: string;
  /** Trusted HTML: callers escape anything that came from the request. */
  message: string;
  hint: string;
  headers?: Record<string, string>;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

const code = (s: string) => `<code>${escapeHtml(s)}</code>`;

export function renderPage(p: Page): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(p.title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#222}
main{max-width:36em;margin:12vh auto;padding:2em;background:#fff;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{margin:0 0 .5em;font-size:1.4em}small{color:#888}code{background:#eef;padding:.1em .3em;border-radius:3px}</style>
</head><body><main><h1>${escapeHtml(p.title)}</h1><p>${p.message}</p><p>${p.hint}</p>
<small>minicloud router · ${p.status}</small></main></body></html>
`;
}

/** Writes a page; returns the body size for the access log. */
export function sendPage(res: ServerResponse, p: Page): number {
  const body = Buffer.from(renderPage(p));
  res.writeHead(p.status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-store',
    ...(res.req?.httpVersionMajor === 2 ? withoutConnection(p.headers) : p.headers),
  });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
  return res.req?.method === 'HEAD' ? 0 : body.length;
}

/** HTTP/2 has no Connection header (the stream ends with the answer; Node would warn and drop it). */
function withoutConnection(headers: Page['headers']): Page['headers'] {
  if (!headers?.connection) return headers;
  const { connection: _, ...rest } = headers;
  return rest;
}

/** A request the router will not pass on (see guard.ts); the connection is closed after it. */
export function badRequestPage(reason: string): Page {
  return {
    status: 400,
    title: 'Bad request',
    message: `The router refused this request: ${escapeHtml(reason)}.`,
    hint: 'Requests must carry one valid Host header and frame their body one unambiguous way.',
    headers: { connection: 'close' },
  };
}

const LIMIT_TITLES: Record<number, string> = { 413: 'Request body too large', 414: 'Request line too long', 431: 'Request headers too large' };

/** A request over one of the router's size limits (limits.ts); the connection is closed after it. */
export function tooLargePage(status: 413 | 414 | 431, reason: string): Page {
  return {
    status,
    title: LIMIT_TITLES[status]!,
    message: `The router refused this request: ${escapeHtml(reason)}.`,
    hint: status === 413
      ? `The app's owner can raise the limit with ${code('minicloud router:set <app> max-body 500m')}.`
      : 'Request lines and header fields are limited to 8 KiB each, and all header fields to 16 KiB.',
    headers: { connection: 'close' },
  };
}

export function noAppPage(host: string, domain: string, suggestion: string | null): Page {
  const name = suggestion ?? '<name>';
  return {
    status: 404,
    title: 'No app here',
    message: `No app is configured for ${code(host)}.`,
    hint: `Apps are served at ${code(`<app>.${domain}`)}; create one with ${code(`minicloud apps:create ${name}`)}.`,
  };
}

export function stoppedPage(app: string): Page {
  return {
    status: 503,
    title: 'App stopped',
    message: `The app ${code(app)} is stopped.`,
    hint: `Start it again with ${code(`minicloud apps:start ${app}`)}.`,
  };
}

/** The router's own answer for a route no request goes through (stopped, in maintenance, never deployed), else null. */
export function routePage(route: { app: string; state: string }): Page | null {
  if (route.state === 'stopped') return stoppedPage(route.app);
  if (route.state === 'maintenance') return maintenancePage(route.app);
  if (route.state === 'undeployed') return notDeployedPage(route.app);
  return null;
}

/** maintenance:on: for the app's visitors (its one-offs still run); Retry-After so crawlers come back, not forget. */
export function maintenancePage(app: string): Page {
  return {
    status: 503,
    title: 'Down for maintenance',
    message: `${code(app)} is down for maintenance and will be back shortly.`,
    hint: 'Please try again in a few minutes.',
    headers: { 'retry-after': '300' },
  };
}

/** An app that exists but was never deployed: its owner has to push, not create it. */
export function notDeployedPage(app: string): Page {
  return {
    status: 404,
    title: 'Nothing deployed yet',
    message: `The app ${code(app)} exists, but nothing has been deployed to it yet.`,
    hint: `Deploy it with ${code('git push minicloud main')} from its repository (${code(`minicloud git:remote ${app}`)} adds the remote).`,
  };
}

/** A request held for an app that is waking up (or starting) gave up: the app got no instance in time. */
export function wakingPage(app: string, state: string, waitedMs: number): Page {
  return {
    status: 503,
    title: state === 'sleeping' ? 'App is waking up' : 'App is starting',
    message: `The app ${code(app)} did not start in time (waited ${Math.round(waitedMs / 100) / 10} s).`,
    hint: `It may still be starting: try again in a few seconds, or see why with ${code(`minicloud logs ${app}`)}.`,
    headers: { 'retry-after': '5' },
  };
}

/** A request for an app whose every web instance keeps crashing (a crash loop with no older release serving). */
export function crashingPage(app: string): Page {
  return {
    status: 503,
    title: 'App is crashing',
    message: `The app ${code(app)} keeps crashing as it starts; minicloud starts it again, waiting longer each time.`,
    hint: `See why with ${code(`minicloud logs ${app}`)}; push a fix, or go back with ${code(`minicloud rollback ${app}`)}.`,
    headers: { 'retry-after': '10' },
  };
}

/** A sleeping app's request when minicloud, which starts it, is not running (the router serves on without it). */
export function controlPlaneDownPage(app: string): Page {
  return {
    status: 503,
    title: 'App is asleep',
    message: `The app ${code(app)} is asleep, and minicloud, which wakes it, is not running right now.`,
    hint: 'It wakes at the first request once minicloud is back: try again in a minute.',
    headers: { 'retry-after': '30' },
  };
}

/** Every connection to the app's instance was in use for as long as a request may wait (or too many waited). */
export function busyPage(app: string, waitedMs: number | null): Page {
  return {
    status: 503,
    title: 'App is busy',
    message:
      waitedMs === null
        ? `The app ${code(app)} has too many requests waiting for it already.`
        : `The app ${code(app)} was busy with other requests for ${Math.round(waitedMs / 100) / 10} s.`,
    hint: `Try again in a moment; if this lasts, add instances with ${code(`minicloud ps:scale ${app} web=2`)}.`,
    headers: { 'retry-after': '2' },
  };
}

export function notAnsweringPage(app: string): Page {
  return {
    status: 502,
    title: 'App not answering',
    message: `The app ${code(app)} did not accept the connection or dropped it.`,
    hint: `See what it says with ${code(`minicloud logs ${app}`)}.`,
  };
}

export function timedOutPage(app: string, timeoutMs: number): Page {
  return {
    status: 504,
    title: 'App timed out',
    message: `The app ${code(app)} did not answer within ${timeoutMs / 1000} s.`,
    hint: `See what it is doing with ${code(`minicloud logs ${app}`)}.`,
  };
}
