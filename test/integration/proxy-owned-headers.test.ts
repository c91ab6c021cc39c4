// Client headers that an app would read as one the router owns (X_Forwarded_For is HTTP_X_FORWARDED_FOR to Rack) never reach it, on either router path.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Router } from '../../proxy/index.ts';
import { RouteTable } from '../../src/routes/index.ts';
import { PATHS, startBothRouters, startEchoApp, type EchoApp, type PathName } from '../helpers/echo-app.ts';
import { rawExchange, statuses } from '../helpers/net.ts';

let app: EchoApp;
let routers: Record<PathName, Router>;

beforeAll(async () => {
  app = await startEchoApp();
  const table = new RouteTable([{ app: 'echo', hosts: ['echo.localhost'], upstreams: [{ host: '127.0.0.1', port: app.port }], state: 'running' }]);
  routers = await startBothRouters({ table, domain: 'localhost' });
});
afterAll(async () => {
  await Promise.all(Object.values(routers ?? {}).map((r) => r.close()));
  await app?.close();
});
beforeEach(() => app.reset());

const SPOOFS = [
  'X_Forwarded_For: 6.6.6.6', 'x-forwarded_for: 6.6.6.7', 'X_FORWARDED_PROTO: https', 'X-Forwarded_Host: evil.example',
  'x_forwarded_port: 1', 'X_Real_IP: 6.6.6.8', 'X_Request_Id: forged', 'X_Forwarded_Server: 6.6.6.9',
  'Transfer_Encoding: chunked', 'Content_Length: 99', 'X_Forwarded_Ssl: on',
];

describe.each(PATHS)('router-owned headers on the %s path', (path) => {
  const raw = (data: string) => rawExchange(routers[path].port, data, 2000);

  it('drops every client header that normalizes to one the router owns or frames by, and sets its own', async () => {
    const r = await raw(`GET /h HTTP/1.1\r\nHost: echo.localhost\r\n${SPOOFS.join('\r\n')}\r\nX_Custom_Thing: kept\r\nConnection: close\r\n\r\n`);
    expect(statuses(r.text)).toEqual([200]);
    expect(app.seen).toHaveLength(1);
    const h = app.seen[0]!.headers;
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe('echo.localhost');
    expect(h['x-forwarded-port']).toBe(String(routers[path].port));
    expect(h['x-request-id']).not.toBe('forged');
    expect(h['x_custom_thing']).toBe('kept'); // only names that shadow the router's own go
    const underscored = Object.keys(h).filter((n) => n.includes('_') && n !== 'x_custom_thing');
    expect(underscored).toEqual([]);
    expect(JSON.stringify(h)).not.toMatch(/6\.6\.6|evil\.example|forged/);
  });

  it('refuses a name with a space before its colon (`X-Forwarded-For :`) with a 400, the app seeing nothing', async () => {
    for (const line of ['X-Forwarded-For : 6.6.6.6', 'X-Forwarded-For\t: 6.6.6.6', ' X-Forwarded-For: 6.6.6.6']) {
      const r = await raw(`GET / HTTP/1.1\r\nHost: echo.localhost\r\n${line}\r\n\r\n`);
      expect(statuses(r.text), line).toEqual([400]);
      expect(r.closed).toBe(true);
    }
    expect(app.seen).toEqual([]);
  });
});
