// The dashboard end to end, in a real (headless) Chromium against a real minicloud: log in, create an app,
// watch its build stream while the push runs, set a config var, roll back, log out.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openBrowser } from '../helpers/browser.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRepo, push, type PushResult } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, requestFrom } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';
import { FAILURES_PER_MINUTE } from '../../src/api/access/index.ts';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;
let repo: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const requests: string[] = [];

const textOf = (selector: string) => page.locator(selector).textContent();
const waitText = (selector: string, text: string) =>
  page.waitForFunction(([s, t]) => document.querySelector(s!)?.textContent?.includes(t!) ?? false, [selector, text]);
const sessionCookie = async () => (await context.cookies()).find((c) => c.name === 'mc_session');
const tab = (label: string) => page.locator('nav.tabs').getByRole('link', { name: label, exact: true }).click();

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  repo = fixtureRepo('node-hello');
  ({ browser, context, page } = await openBrowser());
  page.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
});

afterAll(async () => {
  await browser?.close();
  await mc?.stop();
  await redis?.stop();
});

describe('dashboard', () => {
  it('refuses a wrong token, saying so', async () => {
    await page.goto(`${mc.apiUrl}/dashboard`);
    await page.getByLabel('API token').fill('not-the-token');
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await waitText('#login-error', 'Login refused: invalid token');
    expect(await sessionCookie()).toBeUndefined();
  });

  it('serves its files with no-cache, and no secrets in them', async () => {
    for (const f of ['/dashboard/', '/dashboard/app.js', '/dashboard/style.css']) {
      const res = await fetch(mc.apiUrl + f);
      expect(res.status, f).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).not.toContain(mc.token);
    }
    expect((await fetch(`${mc.apiUrl}/dashboard/index.ts`)).status).toBe(404);
  });

  it('logs in with the token and creates an app, showing the git commands', async () => {
    await page.getByLabel('API token').fill(mc.token);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.getByRole('heading', { name: 'Apps' }).waitFor();
    const cookie = await sessionCookie();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/', secure: false });
    expect(await page.content()).not.toContain(mc.token);

    await page.getByLabel('App name').fill('dash');
    await page.getByRole('button', { name: 'Create app' }).click();
    await waitText('#git-commands', 'git push minicloud main');
    expect(await textOf('#git-commands')).toBe(`git remote add minicloud http://127.0.0.1:${mc.apiPort}/git/dash.git\ngit push minicloud main`);
    await page.getByRole('link', { name: 'dash', exact: true }).waitFor();
  });

  it('streams the build log into the app page while the push is still running', async () => {
    await page.getByRole('link', { name: 'Open dash' }).click();
    await page.getByRole('heading', { name: 'dash', exact: true }).waitFor();
    let done: PushResult | null = null;
    const pushing = push(repo, mc.gitUrl('dash')).then((r) => (done = r));

    await waitText('#build-log', 'build step 1/4');
    expect(done, 'the push ended before the page showed its first build step').toBeNull();
    const r = await pushing;
    expect(r.code, r.output).toBe(0);

    await waitText('#build-state', 'Build succeeded: v1 is live');
    expect(await textOf('#build-log')).toContain('build step 4/4');
    // One streamed request, no polling of the log.
    expect(requests.filter((u) => u.includes('/api/apps/dash/logs?build=1&follow=1'))).toHaveLength(1);

    await waitText('#app-release', 'v1');
    expect(await textOf('#app-state')).toBe('running');
    const url = `http://dash.localhost:${mc.httpPort}`;
    expect(await page.locator('#app-url').getAttribute('href')).toBe(url);
    expect((await get(mc.httpPort, 'dash.localhost')).status).toBe(200);
  });

  it('sets a config var, its value hidden until revealed', async () => {
    await tab('Config');
    await page.getByLabel('Name', { exact: true }).fill('FOO');
    await page.getByLabel('Value', { exact: true }).fill('bar');
    await page.getByRole('button', { name: 'Set config var' }).click();
    await waitText('#status', 'Set FOO; v2 is live.');
    const cell = page.locator('tr', { has: page.locator('th', { hasText: 'FOO' }) }).locator('td.config-value');
    expect(await cell.textContent()).toBe('••••');
    expect(await page.content()).not.toMatch(/\bbar\b/);
    await page.getByRole('button', { name: 'Reveal FOO' }).click();
    await page.getByRole('button', { name: 'Hide FOO' }).waitFor();
    expect(await cell.textContent()).toBe('bar');
    expect(JSON.parse((await get(mc.httpPort, 'dash.localhost')).body)).toMatchObject({ foo: 'bar' });
  });

  it('rolls back to v1 with its button', async () => {
    await tab('Deploys & releases');
    await page.getByRole('button', { name: 'Roll back to v1' }).click();
    await waitText('#status', 'Rolled back to v1 (now v3).');
    await waitText('#app-release', 'v3');
    const releases = await mc.api<{ version: number; current: boolean; description: string }[]>('GET', '/api/apps/dash/releases');
    expect(releases.body[0]).toMatchObject({ version: 3, current: true });
    await tab('Config');
    await page.getByText('No config vars.').waitFor(); // v1's config: FOO was set later
    await tab('Processes');
    await page.getByRole('heading', { name: 'Processes' }).waitFor();
    await page.screenshot({ path: `${ARTIFACTS}dashboard-app.png`, fullPage: true });

    await page.getByRole('link', { name: '\u2190 All apps' }).click();
    await page.getByRole('heading', { name: 'Apps' }).waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('tbody tr')].some((tr) => tr.textContent?.includes('running') && tr.textContent.includes('v3')));
    await page.screenshot({ path: `${ARTIFACTS}dashboard-apps.png`, fullPage: true });
  });

  it('offers no image deploy on host processes (the runtime cannot run one)', async () => {
    await page.getByRole('link', { name: 'dash', exact: true }).click();
    await page.getByRole('heading', { name: 'dash', exact: true }).waitFor();
    await tab('Deploys & releases');
    await page.getByRole('button', { name: 'Roll back to v2' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Deploy an image' }).count()).toBe(0);
    expect(await page.locator('#image-ref').count()).toBe(0);
  });

  it('refuses a state-changing API call with the session cookie but no CSRF token', async () => {
    const cookie = `mc_session=${(await sessionCookie())!.value}`;
    const list = await fetch(`${mc.apiUrl}/api/apps`, { headers: { cookie } });
    expect(list.status).toBe(200);
    const create = (headers: Record<string, string>) => fetch(`${mc.apiUrl}/api/apps`, {
      method: 'POST', headers: { cookie, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ name: 'nocsrf' }),
    });
    const bare = await create({});
    expect(bare.status).toBe(403);
    expect(await bare.json()).toEqual({ error: 'missing or wrong CSRF token' });
    expect((await create({ 'x-csrf-token': 'guess' })).status).toBe(403);
    expect((await mc.api('GET', '/api/apps/nocsrf')).status).toBe(404);
  });

  it('logs out', async () => {
    const cookie = `mc_session=${(await sessionCookie())!.value}`;
    await page.getByRole('button', { name: 'Log out' }).click();
    await waitText('#login-error', 'Logged out.');
    expect(await page.getByLabel('API token').isVisible()).toBe(true);
    expect(await sessionCookie()).toBeUndefined();
    expect((await fetch(`${mc.apiUrl}/api/apps`, { headers: { cookie } })).status).toBe(401);
  });

  it('limits failed logins per client', async () => {
    // From a client of its own (the browser's address stays usable): the minute's allowance, then even the right token is refused.
    const login = (token: string) => requestFrom('127.0.0.9', `${mc.apiUrl}/dashboard/session`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }),
    });
    for (let i = 0; i < FAILURES_PER_MINUTE; i++) expect((await login('wrong')).status).toBe(401);
    const limited = await login(mc.token);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});
