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
  // What went wrong in the page, for a test's failure message (a script that failed to load leaves a blank page).
  const seen: string[] = [];
  problems.set(page, seen);
  page.on('pageerror', (e) => seen.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') seen.push(`console: ${m.text()}`); });
  page.on('requestfailed', (r) => seen.push(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText ?? ''}`));
  return { browser, context, page };
}

const problems = new WeakMap<Page, string[]>();
/** The page's errors, failed requests and console errors so far (the last 20). */
export const pageProblems = (page: Page): string[] => (problems.get(page) ?? []).slice(-20);
