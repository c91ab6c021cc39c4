// Test helper: Debian's headless Chromium driven by playwright-core, with the flags this closed network needs.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export interface OpenBrowser { browser: Browser; context: BrowserContext; page: Page }

/** A browser with one page; without the background-networking flags, Chromium keeps dialling out and failing. */
export async function openBrowser(extraArgs: string[] = []): Promise<OpenBrowser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  });
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  return { browser, context, page };
}
