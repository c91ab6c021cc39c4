// The OpenAPI 3.1 document of the REST API, made from the route table: each operation says the permission it requires.
import { ROUTES, type RouteRule } from './route-table.ts';
import { requirement } from './roles.ts';

const WHO: Record<string, string> = {
  public: 'anyone', any: 'any valid token or session', person: 'admin, or a person (users:add)', metrics: 'admin, metrics, or read (all apps)',
  list: 'admin, read, member (each sees the apps they may)', admin: 'admin', 'app:read': 'admin, read, member of the app',
  'app:deploy-log': 'admin, read, member or deploy token of the app', 'app:deploy': 'admin, member or deploy token of the app',
  'app:manage': 'admin, member of the app', hook: 'the git hook',
};

const toOpenApiPath = (p: string) => p.replace(/:(\w+)/g, '{$1}');

function operation(rule: RouteRule): Record<string, unknown> {
  const params = [...rule.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  const refined = rule.refine ? ' (depends on the query; see the summary)' : '';
  return {
    summary: rule.summary,
    ...(params.length && { parameters: params }),
    'x-minicloud-permission': rule.permission,
    description: `Requires: ${WHO[rule.permission]}${refined}.${requirement(rule.permission) ? ` ${requirement(rule.permission)}.` : ''}`,
    ...(rule.permission !== 'public' && { security: [{ bearer: [] }, { session: [] }] }),
    responses: {
      200: { description: 'OK' },
      ...(rule.permission !== 'public' && { 401: { description: 'no valid credential' }, 403: { description: 'the credential does not allow this' }, 429: { description: 'too many failed credentials from this address; see Retry-After' } }),
    },
  };
}

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const rule of ROUTES.filter((r) => !r.internal)) {
    const p = toOpenApiPath(rule.path);
    (paths[p] ??= {})[rule.method.toLowerCase()] = operation(rule);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'minicloud API', version, description: 'Roles: admin (everything), deploy (push to its apps), read (see, change nothing), metrics (GET /metrics); people are admins or members of apps.' },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API token (`minicloud tokens:create`)' },
        session: { type: 'apiKey', in: 'cookie', name: 'mc_session', description: 'a dashboard session (`__Host-mc_session` over HTTPS); state-changing requests also send X-CSRF-Token' },
      },
    },
    paths,
  };
}
