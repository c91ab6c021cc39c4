// The dashboard for people, in a real (headless) Chromium: a member logs in with email and password, the header says
// who is logged in, they see only their app; an admin sees them in the "Logged in" panel and ends their session; an
// admin adds, changes and removes people and creates and revokes API tokens, each checked through the API.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openBrowser } from '../helpers/browser.ts';
import { logInWithToken, statusAfter } from '../helpers/dashboard.ts';
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
  await member.getByRole('heading', { name: 'My API tokens' }).waitFor();
  expect(await member.locator('#users').count()).toBe(0); // people are an admin's to manage
  expect(await member.getByLabel('Role').count()).toBe(0); // a member makes only their own tokens
  expect(await member.locator('#menu').getByRole('link', { name: 'Backups' }).isVisible()).toBe(false); // an admin's page
  // And the API refuses the member's session what the page does not offer.
  expect(await member.evaluate(() => Promise.all(['/api/users', '/api/server/backup'].map((p) => fetch(p).then((r) => r.status))))).toEqual([403, 403]);
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

/** A dashboard login's status code for an email and password. */
const login = async (email: string, password: string) =>
  (await fetch(`${mc.apiUrl}/dashboard/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) })).status;

it('adds a person, changes their role and apps, and removes them; a made-up password is shown once', async () => {
  const admin = await adminContext.newPage();
  admin.on('dialog', (d) => void d.accept());
  await admin.goto(`${mc.apiUrl}/dashboard/#/people`); // the admin's session of the test before
  await admin.getByRole('heading', { name: 'API tokens' }).waitFor();
  const add = admin.getByRole('form', { name: 'Add a person' });
  await add.getByLabel('Email').fill('dave@example.com');
  await add.getByLabel('Apps (members; comma-separated)').fill('shop');
  await add.getByLabel(/^Password/).fill('dave has a long password');
  expect(await statusAfter(admin, () => add.getByRole('button', { name: 'Add person' }).click())).toBe('Added dave@example.com (member of shop).');
  expect(await login('dave@example.com', 'dave has a long password')).toBe(201);
  expect(await admin.locator('#users tbody').textContent()).toContain('dave@example.com');

  // No password given: one is made and shown once; dismissed, it leaves the page.
  await add.getByLabel('Email').fill('erin@example.com');
  await add.getByLabel('Role').selectOption('admin');
  expect(await statusAfter(admin, () => add.getByRole('button', { name: 'Add person' }).click())).toBe('Added erin@example.com (admin).');
  const made = (await admin.locator('#user-password-once code').textContent())!.trim();
  expect(await login('erin@example.com', made)).toBe(201);
  await admin.getByRole('button', { name: 'I have copied it' }).click();
  expect(await admin.content()).not.toContain(made);

  // Dave becomes a member of both apps, then an admin: each checked through the API.
  const row = admin.locator('#users tr', { hasText: 'dave@example.com' });
  await row.getByLabel('Apps').fill('shop, blog');
  expect(await statusAfter(admin, () => row.getByRole('button', { name: 'Save role of dave@example.com' }).click())).toBe('dave@example.com is now a member of shop, blog.');
  const dave = () => mc.api<Array<{ email: string; role: string; apps: string[] | null }>>('GET', '/api/users').then((r) => r.body.find((u) => u.email === 'dave@example.com'));
  expect(await dave()).toMatchObject({ role: 'member', apps: ['shop', 'blog'] });
  await row.getByLabel('Role', { exact: true }).selectOption('admin');
  expect(await statusAfter(admin, () => row.getByRole('button', { name: 'Save role of dave@example.com' }).click())).toBe('dave@example.com is now an admin.');
  expect(await dave()).toMatchObject({ role: 'admin', apps: null });

  // An error from the API says what was wrong, in the page.
  await add.getByLabel('Email').fill('dave@example.com');
  await add.getByLabel('Role').selectOption('admin');
  expect(await statusAfter(admin, () => add.getByRole('button', { name: 'Add person' }).click())).toMatch(/^Failed: dave@example\.com is already a user/);

  expect(await statusAfter(admin, () => admin.getByRole('button', { name: 'Remove dave@example.com' }).click())).toBe('Removed dave@example.com.');
  expect(await dave()).toBeUndefined();
  expect(await login('dave@example.com', 'dave has a long password')).toBe(401);
  await admin.close();
});

it('creates an API token shown once, which works until it is revoked', async () => {
  const context = await browser.newContext();
  const admin = await context.newPage();
  admin.on('dialog', (d) => void d.accept());
  await logInWithToken(admin, mc, '#/people'); // a fresh context: logged in with the token
  const create = admin.getByRole('form', { name: 'Create a token' });
  await create.getByLabel('Name').fill('ci-shop');
  await create.getByLabel('Role').selectOption('read');
  await create.getByLabel(/^Apps/).fill('shop');
  expect(await statusAfter(admin, () => create.getByRole('button', { name: 'Create token' }).click())).toBe('Created token ci-shop: copy it now, it is not shown again.');
  const token = (await admin.locator('#token-once code').textContent())!.trim();
  const asToken = (path: string) => fetch(`${mc.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
  expect(await asToken('/api/apps/shop')).toBe(200);
  expect(await asToken('/api/apps/blog')).toBe(403);
  expect(await admin.locator('#tokens tbody').textContent()).toMatch(/ci-shopreadshop/);
  // Shown once: not in the list, and gone from the page once dismissed or reloaded.
  expect(JSON.stringify((await mc.api('GET', '/api/tokens')).body)).not.toContain(token);
  await admin.getByRole('button', { name: 'I have copied it' }).click();
  expect(await admin.content()).not.toContain(token);
  await create.getByLabel('Name').fill('bad name!');
  await admin.evaluate(() => { (document.querySelector('#token-name') as HTMLInputElement).removeAttribute('pattern'); });
  expect(await statusAfter(admin, () => create.getByRole('button', { name: 'Create token' }).click())).toMatch(/^Failed: invalid token name "bad name!"/);

  expect(await statusAfter(admin, () => admin.getByRole('button', { name: 'Revoke ci-shop' }).click())).toBe('Revoked token ci-shop.');
  expect(await asToken('/api/apps/shop')).toBe(401);
  expect(await admin.locator('#tokens tbody').textContent()).not.toContain('ci-shop');
  await context.close();
});
