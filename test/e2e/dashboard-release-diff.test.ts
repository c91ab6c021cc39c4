// Comparing releases in the dashboard, in a real (headless) Chromium: config var names with their values masked
// (no value anywhere in the page), the Procfile's and the manifest's changes, then a rollback from the comparison.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openBrowser } from '../helpers/browser.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const SECRET = 'dash-secret-Pq9Wn3';
const SECOND = 'dash-second-Zx5Rb1';
let redis: TestRedis;
let mc: Minicloud;
let browser: Browser;
let page: Page;
const waitText = (selector: string, text: string) =>
  page.waitForFunction(([s, t]) => document.querySelector(s!)?.textContent?.includes(t!) ?? false, [selector, text]);
const version = async () => (JSON.parse((await get(mc.httpPort, 'diffy.localhost')).body) as { version: string }).version;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  expect((await mc.cli('apps:create', 'diffy')).code).toBe(0);
  const repo = fixtureRepo('node-hello');
  const first = await push(repo, mc.gitUrl('diffy')); // v1
  expect(first.code, first.output).toBe(0);
  expect((await mc.cli('config:set', 'diffy', `API_KEY=${SECRET}`, `OTHER=${SECOND}`)).code).toBe(0); // v2
  writeFileSync(join(repo, 'Procfile'), 'web: node server.js\nclock: node -e "setInterval(() => {}, 1e9)"\n');
  writeFileSync(join(repo, 'cloud_manifest.yml'), 'healthcheck:\n  path: /up\n');
  writeFileSync(join(repo, 'server.js'), readFileSync(join(repo, 'server.js'), 'utf8').replace("'v1'", "'v3'"));
  commitAll(repo, 'a clock, a health check');
  const third = await push(repo, mc.gitUrl('diffy')); // v3
  expect(third.code, third.output).toBe(0);
  expect(await version()).toBe('v3');
  ({ browser, page } = await openBrowser());
});

afterAll(async () => {
  await browser?.close();
  await mc?.stop();
  await redis?.stop();
});

it('compares a release with the current one: names only, values masked, nowhere in the page', async () => {
  await page.goto(`${mc.apiUrl}/dashboard/#/apps/diffy/releases`);
  await page.getByLabel('API token').fill(mc.token);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('heading', { name: 'diffy', exact: true }).waitFor();

  await page.getByRole('button', { name: 'Compare v1 with v3' }).click();
  await waitText('#release-diff h3', 'v1 → v3');
  const rows = async (id: string) => page.locator(`${id} tbody tr`).allTextContents();
  expect(await rows('#diff-config')).toEqual(['API_KEYadded••••', 'OTHERadded••••']);
  // The Procfile replaced the buildpack's default web command (`npm start` run as its script's own command, with npm's
  // variables: the Node buildpack leaves no npm resident), and added a type.
  const processes = await rows('#diff-processes');
  expect(processes[0]).toBe('clock(none)node -e "setInterval(() => {}, 1e9)"');
  expect(processes[1]).toMatch(/^webenv PATH="\$PWD\/node_modules\/\.bin:\$PATH" .*npm_lifecycle_event='start' .* node server\.jsnode server\.js$/);
  expect(processes).toHaveLength(2);
  expect(await rows('#diff-manifest')).toEqual(['healthcheck.path(none)/up']);
  expect(await rows('#diff-formation')).toEqual(['clock(none)1']);
  expect(await page.locator('#diff-build').textContent()).toMatch(/^commit [0-9a-f]{7} → commit [0-9a-f]{7}$/);
  expect(await page.content()).not.toContain(SECRET);
  expect(await page.content()).not.toContain(SECOND);
  await page.locator('#release-diff').screenshot({ path: `${ARTIFACTS}dashboard-release-diff.png` });

  // The form compares any two: v2 → v3 is the same config, a new build.
  await page.getByLabel('From release').selectOption('2');
  await page.getByLabel('To release').selectOption('3');
  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  await waitText('#release-diff h3', 'v2 → v3');
  expect(await rows('#diff-config')).toEqual(['No config var changes.']);
  expect(await page.content()).not.toContain(SECRET);
});

it('rolls back from the comparison to the earlier release', async () => {
  await page.getByLabel('From release').selectOption('1');
  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  await waitText('#release-diff h3', 'v1 → v3');
  await page.getByRole('button', { name: 'Roll back to v1 from the comparison' }).click();
  await waitText('#status', 'Rolled back to v1 (now v4).');
  await waitText('#app-release', 'v4');
  expect(await version()).toBe('v1');
  const config = await mc.api<Record<string, string>>('GET', '/api/apps/diffy/config');
  expect(Object.keys(config.body)).toEqual([]); // v1's config came back with it
});
