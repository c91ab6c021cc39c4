// The dashboard's Console tab in a real (headless) Chromium against minicloud on host processes: xterm.js served from
// this server, a command typed into the terminal runs in the app and its exit code is shown, the terminal follows
// the window's size, Reconnect starts a new session; and the same at a phone's viewport (no horizontal scrolling,
// touch targets at least 44 px high).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser } from '../helpers/browser.ts';
import { logInWithToken, phoneFit } from '../helpers/dashboard.ts';
import { deployedFixture } from '../helpers/deployed.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const APP = 'web-konsole';

let redis: TestRedis;
let mc: Minicloud;
let browser: Browser;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  await deployedFixture(mc, APP);
  ({ browser } = await openBrowser());
});

afterAll(async () => {
  await browser?.close();
  await mc?.stop();
  await redis?.stop();
});

/** What the terminal shows, row by row (xterm's DOM renderer). */
const screenText = (p: Page) => p.locator('#console-screen .xterm-rows').innerText();

async function waitForScreen(p: Page, re: RegExp): Promise<RegExpExecArray> {
  let last = '';
  for (const end = Date.now() + 60_000; Date.now() < end; await p.waitForTimeout(200)) {
    last = await screenText(p);
    const m = re.exec(last);
    if (m) return m;
  }
  throw new Error(`the terminal never showed ${re}; it shows:\n${last}`);
}

async function openConsole(p: Page): Promise<void> {
  await logInWithToken(p, mc, `#/apps/${APP}/console`);
  await p.getByRole('heading', { name: 'Console' }).waitFor();
  expect(await p.getByLabel('Command').inputValue()).toBe('bash');
  await p.getByRole('button', { name: 'Connect' }).click();
  await p.locator('#console-state', { hasText: 'Connected' }).waitFor();
}

describe('the Console tab', () => {
  it('serves xterm.js from this server, as JavaScript, under the dashboard\'s CSP', async () => {
    const js = await fetch(`${mc.apiUrl}/dashboard/vendor/xterm.mjs`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('content-security-policy')).toContain("script-src 'self';");
    expect((await js.text()).length).toBeGreaterThan(100_000);
    expect((await fetch(`${mc.apiUrl}/dashboard/vendor/package.json`)).status).toBe(404);
    expect((await fetch(`${mc.apiUrl}/dashboard/vendor/..%2F..%2Fpackage.json`)).status).toBe(404);
  });

  it('runs what is typed in a terminal, shows the exit code, follows the window and reconnects', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const p = await ctx.newPage();
    p.setDefaultTimeout(60_000);
    const offsite: string[] = [];
    p.on('request', (r) => { if (!r.url().startsWith(mc.apiUrl)) offsite.push(r.url()); }); // no CDN
    await openConsole(p);
    await p.keyboard.type('stty size | sed "s/^/size=/"');
    await p.keyboard.press('Enter');
    const [, rows1, cols1] = await waitForScreen(p, /size=(\d+) (\d+)/);
    expect(Number(cols1)).toBeGreaterThan(80);

    await p.setViewportSize({ width: 700, height: 700 }); // the terminal narrows with the window
    await p.waitForTimeout(500);
    await p.keyboard.type('clear; stty size | sed "s/^/narrow=/"');
    await p.keyboard.press('Enter');
    const [, rows2, cols2] = await waitForScreen(p, /narrow=(\d+) (\d+)/);
    expect(Number(cols2)).toBeLessThan(Number(cols1));
    expect(Number(rows2)).toBeGreaterThan(5);
    expect(rows1).toBeDefined();

    await p.keyboard.type('echo $((6*7)); exit 3');
    await p.keyboard.press('Enter');
    await waitForScreen(p, /^42$/m);
    await p.locator('#console-state', { hasText: 'exited with 3' }).waitFor();

    // Reconnect: a new session in the same terminal.
    await p.getByRole('button', { name: 'Reconnect' }).click();
    await p.locator('#console-state', { hasText: 'Connected' }).waitFor();
    await p.keyboard.type('echo again-$((40+2)); exit 0');
    await p.keyboard.press('Enter');
    await waitForScreen(p, /^again-42$/m);
    await p.locator('#console-state', { hasText: 'exited with 0' }).waitFor();
    expect(offsite).toEqual([]);
    await ctx.close();
  });

  it('works on a phone: no horizontal scrolling, touch targets at least 44 px high', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const p = await phone.newPage();
    p.setDefaultTimeout(60_000);
    await openConsole(p);
    await p.keyboard.type('echo $((6*7)); exit 3');
    await p.keyboard.press('Enter');
    await waitForScreen(p, /^42$/m);
    await p.locator('#console-state', { hasText: 'exited with 3' }).waitFor();
    const m = await phoneFit(p, '#tab-console button, #tab-console input, nav a');
    expect(m.scroll).toBeLessThanOrEqual(m.width);
    expect(m.small).toEqual([]);
    await phone.close();
  });
});
