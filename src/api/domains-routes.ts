// REST routes for custom domains: list, add, remove. Every change refreshes the router's table at once.
import { Router, type Request } from 'express';
import { checkDomainAvailable, validateDomain, type DomainAdded, type DomainEntry } from '../core/index.ts';
import type { Store } from '../store/index.ts';

export interface DomainDeps {
  store: Store;
  /** MINICLOUD_DOMAIN: apps are served at `<app>.<base>`. */
  baseDomain: string;
  /** Called after a domain was added or removed, so the router learns it. */
  /** Resolves once the router serves with the change: the answer means it is live. */
  onChange: (app: string) => Promise<void>;
}

const param = (req: Request, name: string) => String(req.params[name]);

/** A domain to remove: its canonical form when it is valid, else as given (it may predate today's rules). */
function removable(raw: string): string {
  try {
    return validateDomain(raw);
  } catch {
    return raw.trim().toLowerCase();
  }
}

export function domainRoutes(d: DomainDeps): Router {
  const r = Router();
  r.get('/apps/:app/domains', (req, res) => {
    const app = d.store.apps.require(param(req, 'app'));
    const entries: DomainEntry[] = [{ domain: `${app.name}.${d.baseDomain}`, default: true }, ...d.store.domains.list(app.name)];
    res.json(entries);
  });
  r.post('/apps/:app/domains', async (req, res) => {
    const app = d.store.apps.require(param(req, 'app'));
    const domain = validateDomain((req.body as { domain?: unknown } | undefined)?.domain);
    checkDomainAvailable(domain, app.name, d.baseDomain, (name) => d.store.apps.get(name) !== null);
    const { added, createdAt } = d.store.domains.add(app.name, domain);
    if (added) await d.onChange(app.name);
    const answer: DomainAdded = { domain, createdAt, added, cnameTarget: `${app.name}.${d.baseDomain}` };
    res.status(added ? 201 : 200).json(answer);
  });
  r.delete('/apps/:app/domains/:domain', async (req, res) => {
    const app = d.store.apps.require(param(req, 'app'));
    d.store.domains.remove(app.name, removable(param(req, 'domain')));
    await d.onChange(app.name);
    res.status(204).end();
  });
  return r;
}
