// The dashboard: its static files under /dashboard, and logging in and out with an API token (a session cookie).
import express, { Router, type Response } from 'express';
import { DASHBOARD_DIR, DASHBOARD_SCRIPTS, DASHBOARD_VENDOR } from '../dashboard/index.ts';
import { checkSession, readCookie, sessionCookie, sessionCookieName, sessionOf } from './access/index.ts';
import { parseLogin } from './inputs.ts';
import type { RouteDeps } from './route-deps.ts';

// The page loads only its own files and talks only to this server; no site may frame it (clickjacking). Inline
// styles are allowed because xterm.js (the console tab) sizes and colours its rows in <style> elements it makes;
// scripts stay 'self' only, and the page puts data in text nodes, so no one else's markup can carry a style.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function dashboardRoutes({ access: d }: RouteDeps): Router {
  const r = Router();
  const noCache = (res: Response) => res.setHeader('cache-control', 'no-cache');

  r.post('/session', express.json({ limit: '16kb' }), async (req, res) => {
    noCache(res);
    const ip = d.clientAddress(req);
    const wait = d.limiter.blocked(ip);
    if (wait > 0) {
      res.setHeader('retry-after', String(wait));
      return void res.status(429).json({ error: `too many failed logins; try again in ${wait} s` });
    }
    const input = parseLogin(req.body);
    const who = input ? await d.login(input) : null;
    if (!who) {
      d.limiter.fail(ip);
      const email = (req.body as { email?: unknown } | undefined)?.email;
      d.record('login:failed', '-', ip, 401, typeof email === 'string' ? { email: email.slice(0, 200) } : {});
      return void res.status(401).json({ error: 'invalid token', hint: 'use an API token (e.g. the admin token in <data>/admin.token), or your email and password' });
    }
    d.sessions.delete(readCookie(req.headers.cookie, sessionCookieName(req.secure)));
    const session = d.sessions.create(who.ref, ip);
    d.record('login', who.actor, ip, 201);
    res.setHeader('set-cookie', sessionCookie(session, req.secure));
    res.status(201).json({ csrf: session.csrf });
  });

  // A reloaded page gets its CSRF token again (readable by same-origin scripts only).
  r.get('/session', (req, res) => {
    noCache(res);
    const session = sessionOf(d.sessions, req);
    if (!session) return void res.status(401).json({ error: 'not logged in' });
    res.json({ csrf: session.csrf });
  });

  r.delete('/session', (req, res) => {
    noCache(res);
    const session = sessionOf(d.sessions, req);
    const logout = () => {
      if (session) d.record('logout', d.actorOfSession(session.principal), d.clientAddress(req), 204);
      d.sessions.delete(session?.id);
      res.setHeader('set-cookie', sessionCookie(null, req.secure));
      res.status(204).end();
    };
    if (!session) return logout();
    checkSession(session, req, res, logout);
  });

  r.get('/vendor/:file', (req, res) => {
    const file = Object.hasOwn(DASHBOARD_VENDOR, req.params.file) ? DASHBOARD_VENDOR[req.params.file] : undefined;
    if (!file) return void res.status(404).json({ error: 'not found' });
    assetHeaders(res);
    res.type(file.endsWith('.css') ? 'text/css' : 'text/javascript'); // a module script needs a JavaScript type (nosniff)
    res.sendFile(file);
  });

  // Only the page's own assets: the folder also holds index.ts.
  const ASSETS = new Set(['/', '/index.html', '/style.css', ...DASHBOARD_SCRIPTS.map((f) => `/${f}`)]);
  r.use((req, res, next) => (ASSETS.has(req.path) ? next() : void res.status(404).json({ error: 'not found' })));
  r.use(express.static(DASHBOARD_DIR, {
    index: 'index.html',
    setHeaders: assetHeaders,
  }));
  return r;
}

function assetHeaders(res: Response): void {
  res.setHeader('cache-control', 'no-cache');
  res.setHeader('content-security-policy', CSP);
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
}
