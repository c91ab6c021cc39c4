// REST routes for custom domains: list, add, remove. Every change refreshes the router's table at once.
import { Router } from 'express';
import { checkDomainAvailable, validateDomain, type DomainAdded, type DomainEntry } from '../core/index.ts';
import { appParam, param } from './inputs.ts';
import type { RouteDeps } from './route-deps.ts';


/** A domain to remove: its canonical form when it is valid, else as given (it may predate today's rules). */
function removable(raw: string): string {
  try {
    return validateDomain(raw);
  } catch {
    return raw.trim().toLowerCase();
  }
}

export function domainRoutes(d: RouteDeps): Router {
  const r = Router();
  r.get('/apps/:app/domains', (req, res) => {
    const app = d.store.apps.require(appParam(req));
    const entries: DomainEntry[] = [{ domain: `${app.name}.${d.baseDomain}`, default: true }, ...d.store.domains.list(app.name)];
    res.json(entries);
  });
  r.post('/apps/:app/domains', async (req, res) => {
    const app = d.store.apps.require(appParam(req));
    const domain = validateDomain((req.body as { domain?: unknown } | undefined)?.domain);
    checkDomainAvailable(domain, app.name, d.baseDomain, (name) => d.store.apps.get(name) !== null);
    const { added, createdAt } = d.store.domains.add(app.name, domain);
    if (added) await d.refreshRoutes(app.name);
    const answer: DomainAdded = { domain, createdAt, added, cnameTarget: `${app.name}.${d.baseDomain}` };
    res.status(added ? 201 : 200).json(answer);
  });
  r.delete('/apps/:app/domains/:domain', async (req, res) => {
    const app = d.store.apps.require(appParam(req));
    d.store.domains.remove(app.name, removable(param(req, 'domain')));
    await d.refreshRoutes(app.name);
    res.status(204).end();
  });
  return r;
}
