// The dashboard's catalog page in a real (headless) Chromium, on the Docker runtime: browse the entries with what each
// needs, install Radicale with its inputs (a password that does not fit the entry's pattern is refused in the page
// before any request), the install log streams into the page, and the new app is running and served by the router.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script shared with npm test, without type declarations
import { ensureStandIns } from '../../scripts/stand-in-images.mjs';
import type { AppInfo } from '../../src/core/index.ts';
import { openBrowser } from '../helpers/browser.ts';
import { dockerHost } from '../helpers/docker.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const APP = 'dash-contacts';
const PASSWORD = 'correct-horse-battery-7';

let redis: TestRedis;
let mc: Minicloud;
let browser: Browser;
let page: Page;
const waitText = (selector: string, text: string) =>
  page.waitForFunction(([s, t]) => document.querySelector(s!)?.textContent?.includes(t!) ?? false, [selector, text], { timeout: 120_000 });

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await ensureStandIns(dockerHost(), ['radicale']);
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test-dash-catalog' });
  ({ browser, page } = await openBrowser());
});

afterAll(async () => {
  await browser?.close();
  await mc?.stop();
  await redis?.stop();
});

it('browses the catalog, installs Radicale with its inputs, and sees it running', async () => {
  await page.goto(`${mc.apiUrl}/dashboard/#/`);
  await page.getByLabel('API token').fill(mc.token);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('link', { name: 'Catalog', exact: true }).click();
  await page.getByRole('heading', { name: 'Catalog', exact: true }).waitFor();

  // Every entry, with what it needs.
  for (const name of ['Radicale 3.1.8', 'Docker registry 2.8.2', 'Gitea 1.25.5', 'Uptime Kuma 2.0.2']) await page.getByRole('heading', { name, exact: true }).waitFor();
  const radicale = page.locator('#catalog-radicale');
  expect(await radicale.textContent()).toContain('Needs 128 MiB of memory, storage at /data');
  expect(await page.locator('#catalog-gitea').textContent()).toContain('a postgres add-on');

  await radicale.getByText('Install Radicale').click();
  await radicale.getByLabel('App name').fill(APP);
  await radicale.getByLabel('RADICALE_USER').fill('alice');
  expect(await radicale.getByLabel('RADICALE_PASSWORD').getAttribute('type')).toBe('password');
  await radicale.getByLabel('RADICALE_PASSWORD').fill('tiny-pw');
  await radicale.getByRole('button', { name: 'Install' }).click();
  await waitText('#install-radicale-state', 'RADICALE_PASSWORD must match');
  expect((await mc.api<AppInfo[]>('GET', '/api/apps')).body).toEqual([]);

  await radicale.getByLabel('RADICALE_PASSWORD').fill(PASSWORD);
  await radicale.getByRole('button', { name: 'Install' }).click();
  await waitText('#install-radicale-log', `Installing Radicale 3.1.8 from the catalog as ${APP}`);
  await waitText('#install-radicale-state', `Radicale is installed and running as ${APP}.`);
  const log = await page.locator('#install-radicale-log').textContent();
  expect(log).toContain('RADICALE_PASSWORD (secret)');
  expect(log).toContain('v1 is live');
  expect(log).not.toContain(PASSWORD);
  expect(await radicale.getByLabel('RADICALE_PASSWORD').inputValue()).toBe('');
  await radicale.screenshot({ path: `${ARTIFACTS}dashboard-catalog-install.png` });

  await page.getByRole('link', { name: `Open ${APP}` }).click();
  await page.getByRole('heading', { name: APP, exact: true }).waitFor();
  const app = await mc.api<AppInfo>('GET', `/api/apps/${APP}`);
  expect(app.body).toMatchObject({ state: 'running', currentRelease: 1 });
  expect((await get(mc.httpPort, `${APP}.localhost`, '/.web/')).status).toBe(200);
});
