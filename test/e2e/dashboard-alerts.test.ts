// The dashboard's Alerts panels in a real (headless) Chromium: an admin adds a server-wide webhook (shown masked),
// tests it and sees the delivery in the history; on an app's page a channel is added, tested and removed; an e-mail
// channel without an SMTP server is refused, saying why; a member does not see the server's channels.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/alert-receivers.ts';
import { openBrowser } from '../helpers/browser.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { startRedis } from '../helpers/redis.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;
let hooks: WebhookReceiver;
let browser: Browser;
let page: Page;
const PASSWORD = 'a member password';

beforeAll(async () => {
  [redis, hooks] = await Promise.all([startRedis(), startWebhookReceiver()]);
  mc = await startMinicloud(redis.url);
  expect((await mc.api('POST', '/api/apps', { name: 'shop' })).status).toBe(201);
  expect((await mc.api('POST', '/api/users', { email: 'carol@example.com', role: 'member', apps: ['shop'], password: PASSWORD })).status).toBe(201);
  ({ browser, page } = await openBrowser());
  await page.goto(`${mc.apiUrl}/dashboard`);
  await page.getByLabel('API token').fill(mc.token);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
});

afterAll(async () => {
  await browser?.close();
  await mc?.stop();
  await Promise.all([redis?.stop(), hooks?.close()]);
});

const waitText = (p: Page, selector: string, text: string) =>
  p.waitForFunction(([s, t]) => document.querySelector(s!)?.textContent?.includes(t!) ?? false, [selector, text]);

it('adds a server-wide webhook (its URL masked), tests it, and shows the delivery in the history', async () => {
  await page.locator('#menu').getByRole('link', { name: 'Alerts' }).click();
  await page.getByRole('heading', { name: 'Server alerts' }).waitFor();
  await page.getByLabel('Webhook URL or e-mail address').first().fill(`${hooks.url}/hook/S3CRET-TOKEN`);
  await page.locator('#server-alerts-format').selectOption('slack');
  await page.getByRole('button', { name: 'Add channel' }).first().click();
  await waitText(page, '#status', 'Added channel');
  await waitText(page, '#server-alerts-channels tbody', `http://127.0.0.1:${hooks.port}/…`);
  expect(await page.content()).not.toContain('S3CRET-TOKEN');
  const id = (await page.locator('#server-alerts-channels tbody code').first().textContent())!;
  await page.getByRole('button', { name: `Test channel ${id}` }).click();
  await waitText(page, '#status', `Test: ${id}: sent.`);
  expect(hooks.received.map((h) => [h.path, String(h.body.text).split('\n')[0]])).toEqual([['/hook/S3CRET-TOKEN', ':information_source: *test alert from minicloud*']]);
  await waitText(page, '#server-alerts-history tbody', 'test alert from minicloud');
  expect(await page.locator('#server-alerts-history tbody tr').first().textContent()).toContain('sent');
});

it("adds, tests and removes an app's channel; refuses e-mail without an SMTP server, saying what to set", async () => {
  await page.goto(`${mc.apiUrl}/dashboard#/apps/shop/settings`);
  await page.getByRole('heading', { name: 'Alerts', exact: true }).waitFor();
  await page.locator('#alerts-kind').selectOption('email');
  await page.locator('#alerts-target').fill('oncall@example.com');
  await page.locator('#alerts-target').press('Enter');
  await waitText(page, '#status', 'MINICLOUD_SMTP_URL');
  await page.locator('#alerts-kind').selectOption('webhook');
  await page.locator('#alerts-target').fill(`${hooks.url}/shop`);
  await page.locator('#alerts-target').press('Enter');
  await waitText(page, '#alerts-channels tbody', 'webhook');
  await page.getByRole('button', { name: 'Send a test to each' }).click();
  await waitText(page, '#status', 'sent');
  expect(hooks.received.at(-1)).toMatchObject({ path: '/shop', body: { state: 'test', app: 'shop' } });
  const id = (await page.locator('#alerts-channels tbody code').first().textContent())!;
  await page.getByRole('button', { name: `Remove channel ${id}` }).click();
  await waitText(page, '#status', `Removed channel ${id}`);
  await waitText(page, '#alerts-channels tbody', 'No channels yet');
  expect((await mc.api<unknown[]>('GET', '/api/apps/shop/alerts')).body).toEqual([]);
});

it("keeps the server's channels from a member", async () => {
  const member = await browser.newPage();
  await member.goto(`${mc.apiUrl}/dashboard`);
  await member.getByLabel('Email').fill('carol@example.com');
  await member.getByLabel('Password').fill(PASSWORD);
  await member.getByRole('button', { name: 'Log in with email' }).click();
  await waitText(member, '#apps tbody', 'shop');
  await waitText(member, '#whoami', 'carol@example.com');
  await member.locator('#menu').getByRole('link', { name: 'Alerts' }).click();
  await waitText(member, '#server-alerts-note', 'Only an admin');
  expect(await member.locator('#server-alerts-channels').isVisible()).toBe(false);
  expect((await member.content())).not.toContain('127.0.0.1:');
});
