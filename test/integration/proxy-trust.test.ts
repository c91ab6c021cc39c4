// Forwarded headers from a trusted proxy (MINICLOUD_TRUSTED_PROXIES), and the 308 of an https-only app.
import http from 'node:http';
import https from 'node:https';
import { createSecureContext } from 'node:tls';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouter, type Router } from '../../proxy/index.ts';
import { parseTrustedProxies } from '../../proxy/edge/trust.ts';
import { isUserError } from '../../src/core/index.ts';
import { RouteTable, type Route } from '../../src/routes/index.ts';
import { SelfSignedIssuer } from '../../src/certs/self-signed.ts';
import { parseAccessLine } from '../../src/metrics/index.ts';

const table = new RouteTable();
const routers: Router[] = [];
let echo: http.Server;
let echoPort = 0;

const route = (app: string, extra: Partial<Route> = {}): Route => ({
  app, hosts: [`${app}.localhost`], upstreams: [{ host: '127.0.0.1', port: echoPort }], state: 'running', ...extra,
});

function request(port: number, host: string, o: { path?: string; headers?: http.OutgoingHttpHeaders; method?: string; body?: string } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const req = http.request({ port, path: o.path ?? '/', method: o.method ?? 'GET', agent: false, headers: { host, ...o.headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}
const seen = async (port: number, headers: http.OutgoingHttpHeaders) =>
  JSON.parse((await request(port, 'echo.localhost', { headers })).text) as Record<string, string>;

beforeAll(async () => {
  echo = http.createServer((req, res) => res.end(JSON.stringify(req.headers)));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as AddressInfo).port;
  table.replace([route('echo'), route('secure', { httpsOnly: true })]);
});
afterAll(async () => {
  await Promise.all(routers.map((r) => r.close()));
  echo.closeAllConnections();
  await new Promise((r) => echo.close(r));
});
const router = async (o: Partial<Parameters<typeof startRouter>[0]> = {}) => {
  const r = await startRouter({ port: 0, host: '127.0.0.1', table, domain: 'localhost', ...o });
  routers.push(r);
  return r;
};

describe('trusted proxies', () => {
  const spoof = { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example.com', 'x-forwarded-port': '443', forwarded: 'for=6.6.6.6' };

  it('overwrites every forwarded header from a peer that is not trusted', async () => {
    const r = await router({ trustedProxies: '10.0.0.0/8, 192.168.1.7' });
    const h = await seen(r.port, spoof);
    expect(h).toMatchObject({ 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'echo.localhost', 'x-forwarded-port': String(r.port) });
    expect(h.forwarded).toBeUndefined();
  });

  it('appends to X-Forwarded-For and keeps the rest from a trusted peer', async () => {
    const r = await router({ trustedProxies: '127.0.0.0/8' });
    const h = await seen(r.port, spoof);
    expect(h).toMatchObject({
      'x-forwarded-for': '6.6.6.6, 127.0.0.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example.com',
      'x-forwarded-port': '443', forwarded: 'for=6.6.6.6',
    });
    // without forwarded headers of its own, the trusted peer is the client
    expect(await seen(r.port, {})).toMatchObject({ 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http' });
  });

  it('parses IPs and CIDRs once, IPv6 and IPv4-mapped addresses too, and refuses bad entries by name', () => {
    const trust = parseTrustedProxies(' 10.0.0.0/8 ,::1, 192.168.1.7,fd00::/8 ');
    expect(['10.1.2.3', '::ffff:10.9.9.9', '::1', '192.168.1.7', 'fd12::1'].map(trust)).toEqual([true, true, true, true, true]);
    expect(['11.0.0.1', '192.168.1.8', '::2', undefined].map(trust)).toEqual([false, false, false, false]);
    expect(parseTrustedProxies('')('127.0.0.1')).toBe(false);
    for (const bad of ['10.0.0.0/33', 'localhost', '1.2.3', '10.0.0.0/8/1', '::1/129', '10.0.0.0/x']) {
      let err: unknown;
      try { parseTrustedProxies(bad); } catch (e) { err = e; }
      expect(isUserError(err), bad).toBe(true);
      expect((err as Error).message).toContain(`MINICLOUD_TRUSTED_PROXIES: "${bad}"`);
    }
  });

  it('refuses to start with a bad MINICLOUD_TRUSTED_PROXIES', async () => {
    await expect(router({ trustedProxies: '10.0.0.300' })).rejects.toThrow(/not an IP address or CIDR range/);
  });
});

describe('https-only apps', () => {
  it('308s a plain request to the same URL over HTTPS, method and query kept', async () => {
    const r = await router({ httpsPort: 8443 });
    const get = await request(r.port, `secure.localhost:${r.port}`, { path: '/cart?item=1' });
    expect(get.status).toBe(308);
    expect(get.headers.location).toBe('https://secure.localhost:8443/cart?item=1');
    expect(get.headers['x-request-id']).toBeTruthy();
    const post = await request(r.port, 'secure.localhost', { method: 'POST', path: '/pay', body: 'x'.repeat(100_000) });
    expect(post.status).toBe(308);
    expect(post.headers.location).toBe('https://secure.localhost:8443/pay');
    expect((await request(r.port, 'echo.localhost')).status).toBe(200); // other apps are untouched
  });

  it('leaves the port out for 443, never redirects an ACME challenge, and believes only a trusted X-Forwarded-Proto', async () => {
    const r = await router({ httpsPort: 443, trustedProxies: '127.0.0.1' });
    expect((await request(r.port, 'secure.localhost')).headers.location).toBe('https://secure.localhost/');
    const acme = await request(r.port, 'secure.localhost', { path: '/.well-known/acme-challenge/abc' });
    expect(acme.status).toBe(200); // passed to the app here: this router answers no challenges itself
    const behindTls = await request(r.port, 'secure.localhost', { headers: { 'x-forwarded-proto': 'https' } });
    expect(behindTls.status).toBe(200);
    const untrusted = await router({ httpsPort: 443 });
    expect((await request(untrusted.port, 'secure.localhost', { headers: { 'x-forwarded-proto': 'https' } })).status).toBe(308);
  });

  it('serves an https-only app over HTTPS, telling it X-Forwarded-Proto https', async () => {
    const cert = await new SelfSignedIssuer().issue('secure.localhost');
    const r = await router({ https: { port: 0, fallback: cert, context: () => createSecureContext({ key: cert.keyPem, cert: cert.certPem }) } });
    const reply = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      https.get({ port: r.httpsPort!, host: '127.0.0.1', servername: 'secure.localhost', headers: { host: 'secure.localhost' }, rejectUnauthorized: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      }).on('error', reject);
    });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toMatchObject({ 'x-forwarded-proto': 'https', 'x-forwarded-for': '127.0.0.1' });
  });
});

describe('the access log', () => {
  const logged = async (o: Partial<Parameters<typeof startRouter>[0]>, send: (port: number) => Promise<unknown>) => {
    const lines: string[] = [];
    const r = await router({ ...o, log: (line) => lines.push(line) });
    await send(r.port);
    await until(() => lines.length > 0);
    return lines[0]!;
  };
  const until = async (ok: () => boolean) => { for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 20)); };

  it('names the client the trusted chain gives, never a spoofed X-Forwarded-For from an untrusted peer', async () => {
    // Untrusted peer (fast path and Node's parser alike): its X-Forwarded-For is ignored.
    const spoofed = await logged({ trustedProxies: '10.0.0.0/8' }, (port) => request(port, 'echo.localhost', { headers: { 'x-forwarded-for': '6.6.6.6', 'user-agent': 'probe/1' } }));
    expect(spoofed).toMatch(/^GET echo\.localhost \/ 200 \d+ \d+ \S+ 127\.0\.0\.1 "probe\/1"$/);
    const plain = await logged({ trustedProxies: '10.0.0.0/8' }, (port) => request(port, 'echo.localhost', { headers: { 'user-agent': 'probe/2' } }));
    expect(plain).toMatch(/ 127\.0\.0\.1 "probe\/2"$/);
    // A trusted peer: the first address from the right that is not a trusted proxy; the client's own "6.6.6.6" is not it.
    const chained = await logged({ trustedProxies: '127.0.0.0/8, 10.0.0.0/8' }, (port) => request(port, 'echo.localhost', { headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.9, 10.0.0.3' } }));
    expect(chained).toMatch(/ 203\.0\.113\.9 "-"$/);
    expect(parseAccessLine(chained)).toMatchObject({ status: 200 });
  });

  it('quotes a hostile user agent so it cannot forge a field or a line', async () => {
    // Sent raw: quotes, a backslash and NEL (obs-text 0x85, a line break to some viewers) in the User-Agent.
    const ua = Buffer.concat([Buffer.from('x" 500 0 0 forged 6.6.6.6 "\\'), Buffer.from([0x85]), Buffer.from(' GET admin / 200')]);
    const line = await logged({}, (port) => new Promise<void>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.concat([Buffer.from('GET /ua HTTP/1.1\r\nhost: echo.localhost\r\nuser-agent: '), ua, Buffer.from('\r\nconnection: close\r\n\r\n')])));
      s.on('data', () => {});
      s.on('close', () => resolve());
      s.on('error', reject);
    }));
    expect(line).toMatch(/^GET echo\.localhost \/ua 200 \d+ \d+ \S+ 127\.0\.0\.1 "x\\" 500 0 0 forged 6\.6\.6\.6 \\"\\\\\\u0085 GET admin \/ 200"$/);
    expect(parseAccessLine(line)).toMatchObject({ status: 200 });
  });
});
