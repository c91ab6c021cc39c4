// Per-app router settings end to end: router:set / router:report, the API, validation, and the router obeying at once.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployedFixture } from '../helpers/deployed.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;

interface Report { timeoutSeconds: number | null; httpsOnly: boolean; maxBodyBytes: number | null; defaultTimeoutSeconds: number; defaultMaxBodyBytes: number }

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_ROUTER_WORKERS: '2' });
  await deployedFixture(mc, 'hello');
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

describe('router settings', () => {
  it('reports the defaults, then what router:set changed', async () => {
    const before = await mc.cli('router:report', 'hello');
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toContain('timeout:     30 s (the default)');
    expect(before.stdout).toContain('https-only:  false');
    const set = await mc.cli('router:set', 'hello', 'timeout', '90');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('done, 90 s');
    const api = await mc.api<Report>('GET', '/api/apps/hello/router');
    expect(api.body).toEqual({ timeoutSeconds: 90, httpsOnly: false, maxBodyBytes: null, defaultTimeoutSeconds: 30, defaultMaxBodyBytes: 100 * 1024 * 1024 });
    expect((await mc.cli('router:set', 'hello', 'timeout', 'default')).code).toBe(0);
    expect((await mc.api<Report>('GET', '/api/apps/hello/router')).body.timeoutSeconds).toBeNull();
  });

  it('refuses bad values with a clear error: non-zero exit, 400, nothing changed', async () => {
    for (const args of [['timeout', '0'], ['timeout', 'soon'], ['timeout', '3601'], ['https-only', 'maybe'], ['colour', 'blue'], ['timeout'], ['max-body', '12'], ['max-body', '11g'], ['max-body', '5 MB'], ['max-body', '-1m']]) {
      const r = await mc.cli('router:set', 'hello', ...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(/timeout must be|https-only must be|max-body must be|not a router setting|no value for timeout/);
    }
    const bad = await mc.api<{ error: string }>('PUT', '/api/apps/hello/router', { timeout: 30, 'https-only': 'perhaps' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('https-only must be true or false');
    expect((await mc.api<Report>('GET', '/api/apps/hello/router')).body).toMatchObject({ timeoutSeconds: null, httpsOnly: false, maxBodyBytes: null });
    expect((await mc.api('PUT', '/api/apps/nope/router', { timeout: 30 })).status).toBe(404);
  });

  it('redirects plain HTTP to HTTPS once https-only is true (no restart, no deploy), and stops when it is false again', async () => {
    expect((await get(mc.httpPort, 'hello.localhost')).status).toBe(200);
    expect((await mc.api('PUT', '/api/apps/hello/router', { name: 'https-only', value: true })).status).toBe(200);
    const r = await until('the 308', async () => {
      const reply = await get(mc.httpPort, 'hello.localhost', '/cart?x=1');
      return reply.status === 308 ? reply : undefined;
    }, 5000);
    expect(r.headers.location).toBe(`https://hello.localhost:${mc.httpsPort}/cart?x=1`);
    // the ACME HTTP-01 path is never redirected: the router answers it itself
    expect((await get(mc.httpPort, 'hello.localhost', '/.well-known/acme-challenge/unknown')).status).toBe(404);
    expect((await mc.cli('router:report', 'hello')).stdout).toContain('https-only:  true');
    expect((await mc.cli('router:set', 'hello', 'https-only', 'false')).code).toBe(0);
    await until('plain HTTP again', async () => ((await get(mc.httpPort, 'hello.localhost')).status === 200 ? true : undefined), 5000);
  });

  it('max-body: a declared body over the app’s limit gets a 413 from the router at once; default is 100m', async () => {
    expect((await mc.cli('router:report', 'hello')).stdout).toContain('max-body:    100m (104857600 bytes; 413 beyond) (the default)');
    const set = await mc.cli('router:set', 'hello', 'max-body', '1k');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('done, max-body 1k (1024 bytes; 413 beyond)');
    const post = (bytes: number) => new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: mc.httpPort, path: '/up', method: 'POST', headers: { host: 'hello.localhost', 'content-length': bytes } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('x'.repeat(bytes));
    });
    await until('the 413', async () => ((await post(2000)) === 413 ? true : undefined), 5000);
    expect(await post(1000)).toBe(200);
    expect((await mc.cli('router:set', 'hello', 'max-body', 'default')).code).toBe(0);
    await until('the default limit again', async () => ((await post(2000)) === 200 ? true : undefined), 5000);
  });
});
