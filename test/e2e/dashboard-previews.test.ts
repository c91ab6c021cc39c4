// Previews in the dashboard, in a real (headless) Chromium: turned on for a branch pattern from the app page, then a
// git push of a matching branch shows up there as its preview app, with its URL and a link to its own page.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openBrowser } from '../helpers/browser.ts';
import { fixtureRepo, git, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let mc: Minicloud;
let browser: Browser;
let page: Page;
let repo: string;
const waitText = (selector: string, text: string) =>
  page.waitForFunction(([s, t]) => document.querySelector(s!)?.textContent?.includes(t!) ?? false, [selector, text]);

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  expect((await mc.cli('apps:create', 'web')).code).toBe(0);
  repo = fixtureRepo('node-hello');
  const first = await push(repo, mc.gitUrl('web'));
  expect(first.code, first.output).toBe(0);
  ({ browser, page } = await openBrowser());
});

afterAll(async () => {
  await browser?.close();
  await mc?.stop();
  await redis?.stop();
});

it('turns previews on from the app page and lists the preview a branch push made', async () => {
  await page.goto(`${mc.apiUrl}/dashboard/#/apps/web/settings`);
  await page.getByLabel('API token').fill(mc.token);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('heading', { name: 'web', exact: true }).waitFor();
  await waitText('#previews-state', 'Off.');

  await page.getByLabel('Branches').fill('feature/*');
  await page.getByLabel('Destroy after idle (days)').fill('7');
  await page.getByRole('button', { name: 'Enable previews' }).click();
  await waitText('#previews-state', 'On for branches feature/*, destroyed after 7 days without a push.');

  git(repo, 'checkout', '-q', '-b', 'feature/a');
  const r = await push(repo, mc.gitUrl('web'), 'feature/a');
  expect(r.code, r.output).toBe(0);
  expect((await get(mc.httpPort, 'web-feature-a.localhost')).status).toBe(200);
  await page.reload();
  await page.getByRole('heading', { name: 'web', exact: true }).waitFor();
  await waitText('#previews tbody', 'feature/a');
  expect(await page.locator('#previews tbody td').allTextContents()).toEqual(
    expect.arrayContaining(['web-feature-a', 'feature/a', expect.stringContaining('http://web-feature-a.localhost')]));
  await page.getByRole('link', { name: 'web-feature-a', exact: true }).click();
  await page.getByRole('heading', { name: 'web-feature-a', exact: true }).waitFor();
});
