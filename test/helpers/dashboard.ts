// Test helpers for the dashboard in Chromium: logging in with a token, and the outcome an action says in the status line.
import type { Page } from 'playwright-core';
import type { Minicloud } from './minicloud.ts';

export async function logInWithToken(p: Page, mc: Minicloud, hash = ''): Promise<void> {
  await p.goto(`${mc.apiUrl}/dashboard/${hash}`);
  await p.getByLabel('API token').fill(mc.token);
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
