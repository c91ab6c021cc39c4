// The dashboard for people, in a real (headless) Chromium: a member logs in with email and password, the header says
// who is logged in, they see only their app; an admin sees them in the "Logged in" panel and ends their session.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openBrowser } from '../helpers/browser.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { startRedis } from '../helpers/redis.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;
let browser: Browser;
let member: Page;
let adminContext: BrowserContext;
const PASSWORD = 'a member password';

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  for (const app of ['shop', 'blog']) expect((await mc.api('POST', '/api/apps', { name: app })).status).toBe(201);
  expect((await mc.api('POST', '/api/users', { email: 'carol@example.com', role: 'member', apps: ['shop'], password: PASSWORD })).status).toBe(201);
  ({ browser, page: member } = await openBrowser());
  adminContext = await browser.newContext();
});

afterAll(async () => {
  await browser?.close();
  await mc?.stop();
  await redis?.stop();
});

const waitText = (page: Page, selector: string, text: string) =>
  page.waitForFunction(([s, t]) => document.querySelector(s!)?.textContent?.includes(t!) ?? false, [selector, text]);

it('logs a member in with email and password, says who is logged in, and shows only their app', async () => {
  await member.goto(`${mc.apiUrl}/dashboard`);
  await member.getByLabel('Email').fill('carol@example.com');
  await member.getByLabel('Password').fill(PASSWORD);
  await member.getByRole('button', { name: 'Log in with email' }).click();
  await member.getByRole('heading', { name: 'Apps' }).waitFor();
  await waitText(member, '#whoami', 'Logged in as carol@example.com (member)');
  await waitText(member, '#apps tbody', 'shop');
  expect(await member.locator('#apps tbody').textContent()).not.toContain('blog');
  await member.locator('#menu').getByRole('link', { name: 'People' }).click();
  await member.getByRole('heading', { name: 'People' }).waitFor();
  expect(await member.locator('#sessions').count()).toBe(1);
  expect(await member.locator('#sessions').isVisible()).toBe(false); // the panel is an admin's
});

it("shows an admin who is logged in, and ends the member's session with a click", async () => {
  const admin = await adminContext.newPage();
  await admin.goto(`${mc.apiUrl}/dashboard`);
  await admin.getByLabel('API token').fill(mc.token);
  await admin.getByRole('button', { name: 'Log in', exact: true }).click();
  await admin.locator('#menu').getByRole('link', { name: 'People' }).click();
  await waitText(admin, '#sessions tbody', 'carol@example.com');
  await admin.locator('#sessions tr', { hasText: 'carol@example.com' }).getByRole('button', { name: 'End' }).click();
  await waitText(admin, '#status', 'Ended the session of carol@example.com');
  expect(await admin.locator('#sessions tbody').textContent()).not.toContain('carol@example.com');
  await member.reload();
  await member.getByLabel('Email').waitFor();
  expect(await member.getByLabel('Email').isVisible()).toBe(true);
});
