// Add-on details on the dashboard, in a real (headless) Chromium, against this file's own PostgreSQL and Redis: the
// server, database and user, what the add-on holds (data written through its own URL), its URL with the password
// masked until "Reveal password" and gone again after "Hide password", fitting a phone's screen; `addons:info` says the same.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, expect, it } from 'vitest';
import { openBrowser } from '../helpers/browser.ts';
import { logInWithToken, statusAfter } from '../helpers/dashboard.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { SERVICES_ENV, setupOrFailEach } from '../helpers/services.ts';

const APP = `ai-${randomBytes(3).toString('hex')}`; // the shared servers may serve other runs at once
let redis: TestRedis | undefined;
let mc: Minicloud | undefined;
let browser: Browser | undefined;
let page: Page;
let config: Record<string, string> = {};

setupOrFailEach(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, SERVICES_ENV as Record<string, string>);
  expect((await mc.api('POST', '/api/apps', { name: APP })).status).toBe(201);
  for (const kind of ['postgres', 'redis']) {
    const r = await mc.api('POST', `/api/apps/${APP}/addons`, { kind });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
  config = (await mc.api<Record<string, string>>('GET', `/api/apps/${APP}/config`)).body;
  // Data written as the app would, through the URLs minicloud set.
  const c = new pg.Client({ connectionString: config.DATABASE_URL, connectionTimeoutMillis: 5000 });
  await c.connect();
  await c.query('CREATE TABLE notes (id serial PRIMARY KEY, body text)');
  await c.query("INSERT INTO notes (body) SELECT repeat('x', 1000) FROM generate_series(1, 200)");
  await c.end();
  const r = new Redis(config.REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  for (const k of ['a', 'b', 'c']) await r.set(`${config.REDIS_KEY_PREFIX}${k}`, k);
  r.disconnect();
  ({ browser, page } = await openBrowser());
  page.on('dialog', (d) => void d.accept());
  await logInWithToken(page, mc, `#/apps/${APP}/addons`);
}, ['postgres', 'redis']);

afterAll(async () => {
  await browser?.close();
  if (mc) for (const kind of ['postgres', 'redis']) await mc.api('DELETE', `/api/apps/${APP}/addons/${kind}?confirm=${APP}`).catch(() => {});
  await mc?.stop();
  await redis?.stop();
});

const passwordOf = (url: string) => decodeURIComponent(new URL(url).password);

it("shows a PostgreSQL add-on's server, database, user and size, its password only when asked", async () => {
  const url = new URL(config.DATABASE_URL!);
  const said = await statusAfter(page, () => page.getByRole('button', { name: 'Details of postgres' }).click());
  expect(said).toMatch(/^postgres: \d+\.\d (KB|MB) on /);
  const box = page.getByRole('group', { name: 'postgres add-on details' });
  const text = (await box.textContent())!;
  expect(text).toContain(`Server${url.hostname}:${url.port}`);
  expect(text).toContain(`Database${url.pathname.slice(1)}`);
  expect(text).toContain(`User${decodeURIComponent(url.username)}`);
  expect(text).toContain('Config varsDATABASE_URL, POSTGRES_URL');
  // 200 rows of 1 KB: the database holds more than PostgreSQL's empty ~7 MB.
  expect(await page.locator('#addon-usage').textContent()).toMatch(/^\d+\.\d MB$/);
  expect(await page.locator('#addon-url').textContent()).toContain(':****@');
  const password = passwordOf(config.DATABASE_URL!);
  expect(await page.content()).not.toContain(password);

  expect(await statusAfter(page, () => box.getByRole('button', { name: 'Reveal password' }).click())).toBe('Showing DATABASE_URL.');
  expect(await page.locator('#addon-url').textContent()).toBe(config.DATABASE_URL);
  expect(await statusAfter(page, () => box.getByRole('button', { name: 'Hide password' }).click())).toBe('Password hidden.');
  expect(await page.content()).not.toContain(password);

  // On a phone (390x844): the open details fit the screen and each button is big enough for a thumb.
  await page.setViewportSize({ width: 390, height: 844 });
  const fit = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, width: innerWidth,
    small: [...document.querySelectorAll('#addons button, #addon-info button')].map((b) => b.getBoundingClientRect().height).filter((px) => px < 44),
  }));
  expect(fit.scroll).toBeLessThanOrEqual(fit.width);
  expect(fit.small).toEqual([]);
  await page.setViewportSize({ width: 1100, height: 900 });

  const cli = await mc!.cli('addons:info', APP, 'postgres');
  expect(cli.code, cli.stderr).toBe(0);
  expect(cli.stdout).toMatch(new RegExp(`Server:?\\s+${url.hostname}:${url.port}`));
  expect(cli.stdout).toMatch(/Holds:?\s+\d+\.\d MB/);
  expect(cli.stdout).not.toContain(password);
});

it("shows a Redis add-on's key prefix and how many keys it holds", async () => {
  await statusAfter(page, () => page.getByRole('button', { name: 'Details of redis' }).click());
  const box = page.getByRole('group', { name: 'redis add-on details' });
  expect(await box.textContent()).toContain(`Key prefix${config.REDIS_KEY_PREFIX}`);
  expect(await page.locator('#addon-usage').textContent()).toBe('3 keys');
  expect(await page.content()).not.toContain(passwordOf(config.REDIS_URL!));
  // Detached: its details leave the page with it.
  expect(await statusAfter(page, () => page.getByRole('button', { name: 'Detach redis' }).click())).toMatch(/^Detached redis/);
  await page.waitForFunction(() => document.querySelector('#addon-info')?.childElementCount === 0);
});
