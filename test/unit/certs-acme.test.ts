// The ACME issuer against a CA that rate-limits: a RateLimitedError with the CA's Retry-After, and no retries inside the request.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AcmeIssuer, RateLimitedError } from '../../src/certs/index.ts';

let server: Server;
let base: string;
const posts: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'mc-acme-'));

// Just enough of RFC 8555 to reach the account registration, which answers like Let's Encrypt over its limit.
beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('replay-nonce', `nonce-${Math.random().toString(36).slice(2)}`);
    if (req.url === '/dir') {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ newNonce: `${base}/nonce`, newAccount: `${base}/account`, newOrder: `${base}/order`, revokeCert: `${base}/revoke`, keyChange: `${base}/key` }));
    }
    if (req.url === '/nonce') return res.end();
    req.resume();
    posts.push(req.url ?? '');
    res.writeHead(429, { 'content-type': 'application/problem+json', 'retry-after': '7200' });
    res.end(JSON.stringify({ type: 'urn:ietf:params:acme:error:rateLimited', detail: 'too many new registrations from this IP', status: 429 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

it("turns a 429 into a RateLimitedError carrying the CA's Retry-After, without retrying inside the request", async () => {
  const keyFile = join(dir, '_acme', 'account.key');
  const issuer = new AcmeIssuer({ directory: `${base}/dir`, email: 'ops@example.com', accountKeyFile: keyFile, selfCheck: false, pollMs: 100 });
  const before = Date.now();
  const err = await issuer.issue('www.example.com').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RateLimitedError);
  expect((err as RateLimitedError).message).toContain('too many new registrations');
  const wait = (err as RateLimitedError).retryAt.getTime() - before;
  expect(wait).toBeGreaterThanOrEqual(7200_000 - 60_000);
  expect(wait).toBeLessThanOrEqual(7200_000 + 60_000);
  expect(posts).toEqual(['/account']);
  expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  expect(issuer.challenge('unknown-token')).toBeNull();
});

it('refuses a wildcard: HTTP-01 cannot validate one', async () => {
  const issuer = new AcmeIssuer({ directory: `${base}/dir`, email: null, accountKeyFile: join(dir, 'k2'), selfCheck: false, pollMs: 100 });
  await expect(issuer.issue('*.example.com')).rejects.toThrow(/wildcard/);
  expect(posts).toEqual(['/account']);
});
