// Test helpers for the dashboard in Chromium: logging in with a token, and the outcome an action says in the status line.
import type { Page } from 'playwright-core';
import { pageProblems } from './browser.ts';
import type { Minicloud } from './minicloud.ts';

export async function logInWithToken(p: Page, mc: Minicloud, hash = ''): Promise<void> {
  const field = p.getByLabel('API token');
  for (let attempt = 1; ; attempt++) {
    const before = pageProblems(p).length;
    await p.goto(`${mc.apiUrl}/dashboard/${hash}`);
    const shown = await field.waitFor({ state: 'visible', timeout: 30_000 }).then(() => null, (e: Error) => e);
    if (!shown) break;
    // Docker making or removing a network (other tests' engines) makes Chromium drop requests in flight with
    // ERR_NETWORK_CHANGED: a module script lost so leaves the page unbooted. Loading the page again is what a person does.
    const met = pageProblems(p).slice(before);
    if (attempt < 3 && met.some((m) => m.includes('ERR_NETWORK_CHANGED'))) continue;
    // Said once, with what the page met, rather than every later step waiting out its own timeout blind.
    const hidden = await p.locator('#login-view').getAttribute('hidden').catch(() => '?');
    throw new Error(`the dashboard's login form did not show (#login-view hidden=${JSON.stringify(hidden)}): ${shown.message.split('\n')[0]}\n${met.join('\n') || 'no page error, failed request or console error seen'}`);
  }
  await field.fill(mc.token);
  await p.getByRole('button', { name: 'Log in', exact: true }).click();
}

/** Clears the status line, runs `action`, and answers the outcome it then says (not a "…" in progress). */
export async function statusAfter(p: Page, action: () => Promise<void>): Promise<string> {
  await p.evaluate(() => { document.querySelector('#status')!.textContent = ''; });
  await action();
  const done = await p.waitForFunction(() => {
    const t = document.querySelector('#status')?.textContent ?? '';
    return t !== '' && !t.endsWith('…') ? t : null;
  }, undefined, { timeout: 180_000 });
  return (await done.jsonValue()) as string;
}

/** Reloads the page until `booted` shows, again (up to 3 times) when Chromium dropped its scripts with ERR_NETWORK_CHANGED (see logInWithToken). */
export async function reloadBooted(p: Page, booted: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const before = pageProblems(p).length;
    await p.reload();
    const e = await p.locator(booted).waitFor({ state: 'visible', timeout: 30_000 }).then(() => null, (x: Error) => x);
    if (!e) return;
    if (attempt < 3 && pageProblems(p).slice(before).some((m) => m.includes('ERR_NETWORK_CHANGED'))) continue;
    throw e;
  }
}

/** On the page as it is: how wide it scrolls against the window, and the visible `targets` under 44 px high (a phone's rules). */
export function phoneFit(p: Page, targets: string): Promise<{ scroll: number; width: number; small: Array<{ what: string; h: number }> }> {
  return p.evaluate((sel) => ({
    scroll: document.documentElement.scrollWidth,
    width: innerWidth,
    small: [...document.querySelectorAll(sel)]
      .filter((el) => (el as HTMLElement).offsetParent !== null)
      .map((el) => ({ what: `${el.tagName} ${el.textContent?.trim() || el.id}`, h: el.getBoundingClientRect().height }))
      .filter((t) => t.h < 44),
  }), targets);
}
