// REST routes about access itself: who am I, and the API tokens (list, create, revoke).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Router } from 'express';
import { CHECKOUT, type SessionInfo, type TokenInfo, type UserInfo } from '../core/index.ts';
import type { StoredToken, StoredUser } from '../store/index.ts';
import { openApiDocument, principalOf } from './access/index.ts';
import { param, parseAuditQuery, parseNewToken, parseNewUser, parseUserRole } from './inputs.ts';
import type { RouteDeps } from './route-deps.ts';

const VERSION = (JSON.parse(readFileSync(join(CHECKOUT, 'package.json'), 'utf8')) as { version: string }).version;

const shown = (t: StoredToken): TokenInfo => ({ name: t.name, role: t.role, apps: t.apps, user: t.user, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt });

export function accessRoutes(d: RouteDeps): Router {
  const { tokens, people, audit } = d.access;
  const { store } = d;
  const r = Router();
  r.get('/me', (_req, res) => {
    const p = principalOf(res);
    res.json({ ok: true, name: p.name, role: p.role, apps: p.apps, user: p.user, token: p.token });
  });
  r.get('/openapi.json', (_req, res) => { res.json(openApiDocument(VERSION)); });
  r.get('/audit', (req, res) => { res.json(audit.read(principalOf(res), parseAuditQuery(req.query))); });
  r.get('/tokens', (_req, res) => { res.json(tokens.list(principalOf(res)).map(shown)); });
  r.post('/tokens', (req, res) => {
    const { token, secret } = tokens.create(principalOf(res), parseNewToken(req.body));
    res.setHeader('cache-control', 'no-store');
    res.status(201).json({ ...shown(token), token: secret });
  });
  r.delete('/tokens/:name', (req, res) => {
    tokens.revoke(principalOf(res), param(req, 'name'));
    res.status(204).end();
  });
  r.get('/users', (_req, res) => { res.json(store.users.list().map(person)); });
  r.post('/users', async (req, res) => {
    const { user, password } = await people.add(parseNewUser(req.body));
    res.setHeader('cache-control', 'no-store');
    res.status(201).json({ ...person(user), ...(password && { password }) });
  });
  r.patch('/users/:email', (req, res) => { res.json(person(people.setRole(param(req, 'email'), parseUserRole(req.body)))); });
  r.delete('/users/:email', (req, res) => {
    people.remove(param(req, 'email'));
    res.status(204).end();
  });
  r.get('/sessions', (_req, res) => {
    res.json(store.sessions.list(Date.now()).map((s): SessionInfo => ({
      key: s.key, who: tokens.describeRef(s.principal), address: s.address, since: new Date(s.createdAt).toISOString(), expires: new Date(s.expiresAt).toISOString(),
    })));
  });
  r.delete('/sessions/:key', (req, res) => {
    if (!store.sessions.deleteByKey(param(req, 'key'))) return void res.status(404).json({ error: 'no such session', hint: 'it may have ended already; see GET /api/sessions' });
    res.status(204).end();
  });
  return r;
}

const person = (u: StoredUser): UserInfo => ({ email: u.email, role: u.role, apps: u.apps, createdAt: u.createdAt });
