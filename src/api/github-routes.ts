// An app following a GitHub repository: connecting it (the webhook's secret, shown once) and what it follows.
import { Router, type Request } from 'express';
import { appParam, parseGithubConnect } from './inputs.ts';
import type { RouteDeps } from './route-deps.ts';

export function githubRoutes(d: RouteDeps): Router {
  const r = Router();
  // GitHub's webhook URL must be public, whoever asked: https://admin.<domain> when there is one.
  const webhookUrl = (req: Request) => `${d.publicUrl ?? `${req.protocol}://${req.get('host')}`}/webhooks/github`;
  r.post('/apps/:app/github', (req, res) => {
    const app = d.store.apps.require(appParam(req));
    const link = d.github.connect(app.name, parseGithubConnect(req.body, app.name, app.deployBranch));
    res.status(201).json({
      app: link.app, repo: link.repo, branch: link.branch, secret: link.secret, hasToken: link.token !== null,
      payloadUrl: webhookUrl(req), contentType: 'application/json', events: ['push'],
    });
  });
  r.get('/apps/:app/github', (req, res) => {
    const app = d.store.apps.require(appParam(req)).name;
    const link = d.store.githubLinks.get(app);
    // Following no repository is a normal state of an app, not a missing resource.
    if (!link) return void res.json({ app, connected: false });
    res.json({ app: link.app, connected: true, repo: link.repo, branch: link.branch, hasToken: link.token !== null, payloadUrl: webhookUrl(req) });
  });
  return r;
}
