// REST routes about access itself: who am I, and the API tokens (list, create, revoke).
import { readFileSync } from 'node:fs';
import { Router } from 'express';
import type { StoredToken } from '../../store/index.ts';
import { principalOf } from './gate.ts';
import type { Access } from './principals.ts';
import { openApiDocument } from './openapi.ts';
import type { Audit } from './audit.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const shown = (t: StoredToken) => ({ name: t.name, role: t.role, apps: t.apps, user: t.user, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt });

export function accessRoutes(access: Access, audit: Audit): Router {
  const r = Router();
  r.get('/me', (_req, res) => {
    const p = principalOf(res);
    res.json({ ok: true, name: p.name, role: p.role, apps: p.apps, user: p.user, token: p.token });
  });
  r.get('/openapi.json', (_req, res) => { res.json(openApiDocument(VERSION)); });
  r.get('/audit', (req, res) => { res.json(audit.read(principalOf(res), req.query as Record<string, unknown>)); });
  r.get('/tokens', (_req, res) => { res.json(access.list(principalOf(res)).map(shown)); });
  r.post('/tokens', (req, res) => {
    const { token, secret } = access.create(principalOf(res), (req.body ?? {}) as Record<string, unknown>);
    res.setHeader('cache-control', 'no-store');
    res.status(201).json({ ...shown(token), token: secret });
  });
  r.delete('/tokens/:name', (req, res) => {
    access.revoke(principalOf(res), String(req.params.name));
    res.status(204).end();
  });
  return r;
}
