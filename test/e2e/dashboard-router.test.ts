// The dashboard at admin.<domain> through the router, in a real (headless) Chromium: the app page's panels
// (domains, scaling, storage, backups, GitHub), its charts after real requests, and the merged logs stream.
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openBrowser } from '../helpers/browser.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, type Reply } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const requests: string[] = [];
const admin = () => `http://admin.localhost:${mc.httpPort}`;

const waitText = (selector: string, text: string) =>
  page.waitForFunction(([s, t]) => document.querySelector(s!)?.textContent?.includes(t!) ?? false, [selector, text]);
const sessionCookie = async () => (await context.cookies(admin())).find((c) => c.name === 'mc_session');
const tab = (label: string) => page.locator('nav.tabs').getByRole('link', { name: label, exact: true }).click();

/** A request to `port` with any Host and headers (fetch may not set Host). */
function send(port: number, host: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host, ...headers }, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const login = (port: number, host: string, headers: Record<string, string> = {}) =>
  send(port, host, 'POST', '/dashboard/session', { 'content-type': 'application/json', ...headers }, JSON.stringify({ token: mc.token }));

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  ({ browser, context, page } = await openBrowser(['--host-resolver-rules=MAP *.localhost 127.0.0.1']));
  page.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
});

afterAll(async () => {
  await browser?.close();
  await mc?.stop();
  await redis?.stop();
});

describe('dashboard at admin.<domain>', () => {
  it('answers through the router: / leads to the login, then the apps list', async () => {
    await page.goto(`${admin()}/`);
    expect(page.url()).toBe(`${admin()}/dashboard/`);
    await page.getByLabel('API token').fill(mc.token);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.getByRole('heading', { name: 'Apps' }).waitFor();
    expect(await sessionCookie()).toMatchObject({ domain: 'admin.localhost', httpOnly: true, sameSite: 'Strict', secure: false });
    // No app can take the dashboard's name.
    const taken = await mc.api<{ error: string }>('POST', '/api/apps', { name: 'admin' });
    expect(taken.status).toBe(400);
    expect(taken.body.error).toContain('admin is reserved');
  });

  it('creates and deploys an app, watched from the page', async () => {
    await page.getByLabel('App name').fill('shop');
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.getByRole('link', { name: 'Open shop' }).click();
    await page.getByRole('heading', { name: 'shop', exact: true }).waitFor();
    const r = await push(fixtureRepo('node-hello'), mc.gitUrl('shop'));
    expect(r.code, r.output).toBe(0);
    await waitText('#build-state', 'Build succeeded: v1 is live');
    await waitText('#app-state', 'running');
  });

  it('adds and removes a domain from the page; the router serves it meanwhile', async () => {
    await tab('Domains & certs');
    await page.getByLabel('Domain', { exact: true }).fill('WWW.Shop.Test');
    await page.getByRole('button', { name: 'Add domain' }).click();
    await waitText('#status', 'Added www.shop.test: point its DNS (CNAME shop.localhost');
    await waitText('#domains', 'www.shop.test');
    expect((await mc.api<{ domain: string }[]>('GET', '/api/apps/shop/domains')).body.map((d) => d.domain)).toEqual(['shop.localhost', 'www.shop.test']);
    expect(JSON.parse((await get(mc.httpPort, 'www.shop.test', '/via-domain')).body)).toMatchObject({ path: '/via-domain' });

    await page.getByRole('button', { name: 'Remove www.shop.test' }).click();
    await waitText('#status', 'Removed www.shop.test.');
    expect((await get(mc.httpPort, 'www.shop.test')).status).toBe(404);
  });

  it('scales web to two instances from the page, with the keyboard', async () => {
    await tab('Processes');
    await page.getByLabel('web instances').fill('2');
    await page.getByLabel('web instances').press('Enter'); // the keyboard way: Enter in the field scales
    await waitText('#status', 'Scaled web to 2.');
    expect((await mc.api('GET', '/api/apps/shop/formation')).body).toEqual({ web: 2 });
    await page.waitForFunction(() => [...document.querySelectorAll('#instances tbody tr')].filter((tr) => /^web\s*up/.test(tr.textContent ?? '')).length === 2);
  });

  it('draws the requests and latency charts as SVG after requests through the router', async () => {
    await tab('Metrics');
    for (let i = 0; i < 12; i++) expect((await get(mc.httpPort, 'shop.localhost', `/chart-${i}`)).status).toBe(200);
    await page.getByRole('button', { name: 'Refresh charts' }).click();
    await page.locator('#chart-requests rect.col-2xx').first().waitFor();
    const chart = page.locator('#chart-requests');
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThanOrEqual(1);
    expect(await chart.locator('desc').textContent()).toMatch(/Last hour: \d+ requests \(2xx \d+/);
    expect(Number(await page.locator('#chart-latency').getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
    await page.locator('#chart-latency path.line-p50').waitFor({ state: 'attached' }); // one minute of data: a dot, no line yet
    await page.locator('#charts').screenshot({ path: `${ARTIFACTS}dashboard-charts.png` });
    // The week: the same requests, per hour, from the state file's history.
    await page.locator('#charts-range').selectOption('7d');
    await page.waitForFunction(() => /^Last 7 days: \d+ requests/.test(document.querySelector('#chart-requests desc')?.textContent ?? ''));
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThanOrEqual(1);
    await page.locator('#charts-range').selectOption('1h');
  });

  it('streams router, app and build lines into the logs panel', async () => {
    await tab('Logs');
    await waitText('#app-logs', 'build: -----> Building shop');
    await waitText('#app-logs', 'app[web.1]: listening on'); // each app line names its instance, as Heroku's app[web.1]
    expect((await get(mc.httpPort, 'shop.localhost', '/seen-in-the-logs')).status).toBe(200);
    await waitText('#app-logs', 'router: GET shop.localhost /seen-in-the-logs 200');
    const streams = requests.filter((u) => u.includes('/api/apps/shop/logs?source='));
    expect(streams).toEqual([`GET ${admin()}/api/apps/shop/logs?source=app,router,build,release&lines=200&follow=1`]);

    await page.getByLabel('app', { exact: true }).uncheck(); // fewer sources: the stream starts again without app lines
    await page.waitForFunction(() => {
      const text = document.querySelector('#app-logs')?.textContent ?? '';
      return text.includes('router: GET shop.localhost /seen-in-the-logs') && !text.includes(' app[');
    });
  });

  it('adds storage and makes a verified backup of it from the page', async () => {
    await tab('Add-ons & storage');
    await page.getByLabel('Mount path').fill('/data');
    await page.getByRole('button', { name: 'Add storage' }).click();
    await page.waitForFunction(() => /^(Added|Failed)/.test(document.querySelector('#status')?.textContent ?? ''));
    expect(await page.locator('#status').textContent()).toBe('Added storage at /data.');
    await waitText('#storage', '/data');
    await tab('Backups');
    await page.getByRole('button', { name: 'Create backup' }).click();
    await page.waitForFunction(() => /Backup .* made|The backup failed/.test(document.querySelector('#status')?.textContent ?? ''));
    expect(await page.locator('#status').textContent()).toContain('made and verified');
    await waitText('#backups', 'good');
    expect(await page.locator('#backups tbody').textContent()).toContain('volume /data');
  });

  it('connects a GitHub repository: payload URL at admin.<domain>, the secret in the page only after a click', async () => {
    await tab('Settings');
    await page.getByRole('textbox', { name: 'Repository' }).fill('octocat/hello-world');
    await page.getByRole('button', { name: 'Connect repository' }).click();
    await waitText('#github-payload-url', `${admin()}/webhooks/github`);
    expect(await page.content()).not.toMatch(/[0-9a-f]{64}/);
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    expect(await page.locator('#github-secret').textContent()).toMatch(/^[0-9a-f]{64}$/);
    expect((await mc.api('GET', '/api/apps/shop/github')).body).toMatchObject({ repo: 'octocat/hello-world', branch: 'main' });
  });

  it('saves screenshots of the app page and the apps list', async () => {
    await page.screenshot({ path: `${ARTIFACTS}dashboard-admin-app.png`, fullPage: true });
    await page.getByRole('link', { name: '\u2190 All apps' }).click();
    await page.waitForFunction(() => document.querySelector('#apps tbody')?.textContent?.includes('running') ?? false);
    // Each app's sparkline: its requests of the last 24 hours, in its title for screen readers too.
    const spark = page.locator('#apps tbody svg.sparkline').first();
    expect(Number(await spark.getAttribute('data-requests'))).toBeGreaterThanOrEqual(12);
    expect(await spark.locator('title').textContent()).toMatch(/^last 24 hours: \d+ requests, \d+ errors \(5xx\)$/);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-admin-apps.png`, fullPage: true });
  });

  it('sets Secure on the session cookie only when the router says the request came over HTTPS', async () => {
    // Straight to the API port, X-Forwarded-Proto is not the router's (it carries no proof of it): not believed.
    const direct = await login(mc.apiPort, `127.0.0.1:${mc.apiPort}`, { 'x-forwarded-proto': 'https' });
    expect(direct.status).toBe(201);
    expect(String(direct.headers['set-cookie'])).toMatch(/^mc_session=.*HttpOnly; SameSite=Strict; Path=\/$/);
    // A client cannot claim HTTPS through the plain-HTTP router: the router overwrites X-Forwarded-Proto.
    const spoofed = await login(mc.httpPort, 'admin.localhost', { 'x-forwarded-proto': 'https' });
    expect(spoofed.status).toBe(201);
    expect(String(spoofed.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict; Path=\/$/);
  });

  it('refuses a state change through admin.<domain> without the CSRF token', async () => {
    const cookie = `mc_session=${(await sessionCookie())!.value}`;
    const body = JSON.stringify({ domain: 'csrf.shop.test' });
    const bare = await send(mc.httpPort, 'admin.localhost', 'POST', '/api/apps/shop/domains', { cookie, 'content-type': 'application/json' }, body);
    expect(bare.status).toBe(403);
    expect((await mc.api<unknown[]>('GET', '/api/apps/shop/domains')).body).toHaveLength(1);
  });
});
