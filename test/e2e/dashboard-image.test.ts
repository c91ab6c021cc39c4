// Deploying an image by reference from the dashboard, on the Docker runtime, in a real (headless) Chromium:
// the deploy log streams into the page, the releases list and the app's state follow, the router serves it.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { openBrowser } from '../helpers/browser.ts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { docker, dockerHost } from '../helpers/docker.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const SHOP = fileURLToPath(new URL('../fixtures/images/shop/', import.meta.url));
const REF = `minicloud-test/dash-shop-${Date.now().toString(36)}:1.0`;

let redis: TestRedis;
let mc: Minicloud;
let browser: Browser;
let page: Page;
const waitText = (selector: string, text: string) =>
  page.waitForFunction(([s, t]) => document.querySelector(s!)?.textContent?.includes(t!) ?? false, [selector, text]);

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  docker('build', '-q', '--build-arg', `BASE_IMAGE=${process.env.MINICLOUD_BASE_IMAGE_PYTHON ?? 'minicloud/python'}`, '--build-arg', 'VERSION=1.0', '-t', REF, SHOP);
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test' });
  expect((await mc.api('POST', '/api/apps', { name: 'imgdash' })).status).toBe(201);
  ({ browser, page } = await openBrowser());
});

afterAll(async () => {
  await browser?.close();
  await mc?.stop();
  await redis?.stop();
  try { docker('rmi', '-f', REF); } catch { /* already gone */ }
});

it('deploys an image by reference from the app page, its log streamed live, then shows the release', async () => {
  await page.goto(`${mc.apiUrl}/dashboard/#/apps/imgdash`);
  await page.getByLabel('API token').fill(mc.token);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('heading', { name: 'imgdash', exact: true }).waitFor();
  await page.locator('nav.tabs').getByRole('link', { name: 'Deploys & releases' }).click();

  await page.getByLabel('Image reference').fill(REF);
  await page.getByLabel('Image reference').press('Enter'); // the keyboard way: Enter in the field submits
  await waitText('#image-log', `using the engine's own copy of ${REF}`);
  await waitText('#image-state', 'Deploy succeeded: v1 is live.');
  expect(await page.locator('#image-log').textContent()).toContain('v1 is live at http://imgdash.localhost');

  await waitText('#app-release', 'v1');
  await waitText('#tab-releases', `Deploy image ${REF}`);
  await waitText('#app-state', 'running');
  expect((await get(mc.httpPort, 'imgdash.localhost')).body).toBe('shop 1.0 greeting=-');
  await waitText('#tab-releases', 'v1');
  await page.locator('form[aria-labelledby="image-title"]').screenshot({ path: `${ARTIFACTS}dashboard-image-deploy.png` });
});

it('refuses a bad reference, and sends registry credentials only in pairs, clearing the password after', async () => {
  await page.getByLabel('Image reference').fill('Not An Image;rm -rf /');
  await page.getByRole('button', { name: 'Deploy image' }).click();
  await waitText('#image-state', 'is not an image reference');

  await page.getByLabel('Image reference').fill('registry.invalid/example/shop:1.0');
  await page.getByText('Private registry').click();
  await page.getByLabel('Registry user').fill('robot');
  await page.getByRole('button', { name: 'Deploy image' }).click();
  await waitText('#image-state', 'Registry credentials need both a user and a password.');
  await page.getByLabel('Registry password').fill('s3cret');
  const sent = page.waitForRequest((r) => r.url().endsWith('/api/apps/imgdash/deploys'));
  await page.getByRole('button', { name: 'Deploy image' }).click();
  expect((await sent).postDataJSON()).toEqual({ image: 'registry.invalid/example/shop:1.0', registry: { username: 'robot', password: 's3cret' } });
  await waitText('#image-state', 'Deploy failed');
  expect(await page.getByLabel('Registry password').inputValue()).toBe('');
  await waitText('#app-release', 'v1'); // still serving the image that worked
  expect((await get(mc.httpPort, 'imgdash.localhost')).body).toBe('shop 1.0 greeting=-');
});
