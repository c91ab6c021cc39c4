// The dashboard on a phone, in a real (headless) Chromium at 390x844 with touch: every main screen (the server's pages,
// People with a person and a token, and each tab of an app with releases, cron entries, config, a long domain, storage
// and a backup) without horizontal scrolling and with every button, field and menu entry at least 44 px high; then the
// app stopped and started by taps.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openBrowser } from '../helpers/browser.ts';
import { logInWithToken, statusAfter } from '../helpers/dashboard.ts';
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { startRedis } from '../helpers/redis.ts';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const APP = 'phone-shop';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  expect((await mc.api('POST', '/api/apps', { name: APP })).status).toBe(201);
  expect((await mc.api('POST', `/api/apps/${APP}/storage`, { path: '/data' })).status).toBe(201);
  const r = await push(fixtureRepo('node-cron'), mc.gitUrl(APP));
  expect(r.code, r.output).toBe(0);
  expect((await mc.api('PATCH', `/api/apps/${APP}/config`, { A_RATHER_LONG_CONFIG_VAR_NAME_FOR_A_NARROW_SCREEN: 'x'.repeat(120) })).status).toBe(200);
  expect((await mc.api('POST', `/api/apps/${APP}/domains`, { domain: 'a-rather-long-subdomain-for-a-narrow-screen.shop-example.org' })).status).toBe(201);
  expect((await mc.api('POST', `/api/apps/${APP}/backups`)).status).toBe(201);
  // The People page with a person (a row with its own role form) and a token.
  expect((await mc.api('POST', '/api/users', { email: 'someone.with.a.long.address@phone-shop.example.org', role: 'member', apps: [APP], password: 'a long phone password' })).status).toBe(201);
  expect((await mc.api('POST', '/api/tokens', { name: 'a-rather-long-token-name-for-ci', role: 'deploy', apps: [APP] })).status).toBe(201);
  ({ browser } = await openBrowser());
});

afterAll(async () => {
  await browser?.close();
  await mc?.stop();
  await redis?.stop();
});

it('shows the main screens on a phone without horizontal scrolling, every touch target at least 44 px high', async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const p = await phone.newPage();
  p.setDefaultTimeout(60_000);
  await logInWithToken(p, mc);
  await p.getByRole('heading', { name: 'Apps' }).waitFor();
  const screens = ['#/', '#/catalog', '#/alerts', '#/people', '#/router', '#/disk', '#/backups', ...['overview', 'releases', 'processes', 'config', 'domains', 'addons', 'backups', 'cron', 'logs', 'metrics', 'settings'].map((t) => `#/apps/${APP}/${t}`)];
  const problems: string[] = [];
  for (const hash of screens) {
    await p.evaluate((h) => { location.hash = h; }, hash);
    await p.waitForFunction(() => !document.querySelector('#view')?.textContent?.includes('Loading…'));
    await p.waitForTimeout(300); // the panels' first answers fill their tables
    const m = await p.evaluate(() => {
      const small = [...document.querySelectorAll('button, input:not([type="checkbox"]), select, nav a, td a')]
        .filter((el) => (el as HTMLElement).offsetParent !== null)
        .map((el) => ({ what: `${el.tagName} ${el.textContent?.trim() || el.id}`, h: el.getBoundingClientRect().height }))
        .filter((t) => t.h < 44);
      return { scroll: document.documentElement.scrollWidth, width: innerWidth, small };
    });
    if (m.scroll > m.width) problems.push(`${hash}: scrollWidth ${m.scroll} > ${m.width}`);
    for (const s of m.small) problems.push(`${hash}: ${s.what} is ${s.h.toFixed(0)} px high`);
    if (hash.endsWith('/overview') || hash === '#/') await p.screenshot({ path: `${ARTIFACTS}dashboard-phone-${hash === '#/' ? 'apps' : 'app'}.png`, fullPage: true });
  }
  expect(problems).toEqual([]);
  // From the phone: stop and start the app from its overview.
  await p.evaluate((a) => { location.hash = `#/apps/${a}`; }, APP);
  expect(await statusAfter(p, () => p.getByRole('button', { name: 'Stop', exact: true }).tap())).toBe('Stopped.');
  expect(await statusAfter(p, () => p.getByRole('button', { name: 'Start', exact: true }).tap())).toBe('Started.');
  await phone.close();
});
