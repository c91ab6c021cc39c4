// The dashboard's catalog page in a real (headless) Chromium, on the Docker runtime: browse the entries with what each
// needs, install Radicale with its inputs (a password that does not fit the entry's pattern is refused in the page
// before any request), the install log streams into the page, and the new app is running and served by the router;
// once the catalog has a newer version, the app's page upgrades it.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script shared with npm test, without type declarations
import { ensureStandIns } from '../../scripts/stand-in-images.mjs';
import { CATALOG_DIR } from '../../src/catalog/index.ts';
import type { AppInfo, CatalogEntry } from '../../src/core/index.ts';
import { openBrowser } from '../helpers/browser.ts';
import { logInWithToken, reloadBooted } from '../helpers/dashboard.ts';
import { docker, dockerHost } from '../helpers/docker.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const APP = 'dash-contacts';
const PASSWORD = 'correct-horse-battery-7';
const OLD = 'tomsquest/docker-radicale:3.1.8.3';
// A newer Radicale for the upgrade: another tag of the stand-in image.
const NEWER = 'tomsquest/docker-radicale:3.1.9.7';
// The shipped catalog, copied: the test adds a version to its Radicale entry.
const catalog = mkdtempSync(join(tmpdir(), 'mc-dash-catalog-'));

let redis: TestRedis;
let mc: Minicloud;
let browser: Browser;
let page: Page;
const waitText = (selector: string, text: string) =>
  page.waitForFunction(([s, t]) => document.querySelector(s!)?.textContent?.includes(t!) ?? false, [selector, text], { timeout: 120_000 });

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await ensureStandIns(dockerHost(), ['radicale']);
  docker('tag', OLD, NEWER);
  cpSync(CATALOG_DIR, catalog, { recursive: true });
  redis = await startRedis();
  mc = await startMinicloud(redis.url, {
    MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test-dash-catalog', MINICLOUD_CATALOG_DIR: catalog,
  });
  ({ browser, page } = await openBrowser());
});

afterAll(async () => {
  await browser?.close();
  await mc?.stop();
  await redis?.stop();
  rmSync(catalog, { recursive: true, force: true });
  try { docker('rmi', NEWER); } catch { /* in use still */ }
});

it('browses the catalog, installs Radicale with its inputs, and sees it running', async () => {
  await logInWithToken(page, mc, '#/');
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
  await waitText('#catalog-version', 'Installed from the catalog: Radicale 3.1.8, the newest the catalog has.');
  expect(await page.locator('#upgrade-to').count()).toBe(0);
});

it('upgrades the app from its page once the catalog has a newer version', async () => {
  const entry = JSON.parse(readFileSync(join(catalog, 'radicale.json'), 'utf8')) as CatalogEntry;
  entry.versions = [{ version: entry.version, image: entry.processes.web!.image }];
  entry.version = '3.1.9';
  entry.processes.web!.image = NEWER;
  writeFileSync(join(catalog, 'radicale.json'), JSON.stringify(entry));
  await reloadBooted(page, '#catalog-version');
  await waitText('#catalog-version', 'Radicale 3.1.8; Radicale 3.1.9 is the newest');
  expect(await page.getByLabel('Upgrade to').inputValue()).toBe('3.1.9');
  await page.getByRole('button', { name: 'Upgrade', exact: true }).click();
  await waitText('#upgrade-state', 'Upgraded to 3.1.9.');
  expect(await page.locator('#upgrade-log').textContent()).toMatch(/Backup \S+ \(good\)[\s\S]*v2 is live/);
  await waitText('#catalog-version', 'Radicale 3.1.9, the newest the catalog has');
  await waitText('#app-release', 'v2');
  expect((await mc.api<{ installed: string }>('GET', `/api/apps/${APP}/upgrade`)).body.installed).toBe('3.1.9');
});
