// The dashboard's app tabs and server menu, and each action it does like the CLI, in a real (headless) Chromium
// against a real minicloud: config unset, sleep and wake, maintenance, cron with "run now" and its history, backup
// schedule, download and restore, router and resource settings, certificate renewal, the deploy branch, the disk page,
// rename, destroy with a typed name. The phone's viewport is dashboard-phone.test.ts.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser } from '../helpers/browser.ts';
import { logInWithToken, statusAfter } from '../helpers/dashboard.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { freePort, get, until } from '../helpers/net.ts';
import { startPebble, type Pebble } from '../helpers/pebble.ts';
import { startRedis } from '../helpers/redis.ts';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const APP = 'dashact';
const CUSTOM = 'www.dashact-example.org'; // a name Pebble (a real ACME CA) issues for; APP.localhost is never ordered

let redis: Awaited<ReturnType<typeof startRedis>>;
let pebble: Pebble;
let mc: Minicloud;
let browser: Browser;
let page: Page;
const notFound: string[] = [];

const waitText = (selector: string, text: string, p = page) =>
  p.waitForFunction(([s, t]) => document.querySelector(s!)?.textContent?.includes(t!) ?? false, [selector, text]);
const outcomeOf = (action: () => Promise<void>) => statusAfter(page, action);
const tab = async (label: string) => {
  await page.locator('nav.tabs').getByRole('link', { name: label, exact: true }).click();
  await page.locator('section.tab:not([hidden])').first().waitFor();
};
const appInfo = async () => (await mc.api<{ state: string; maintenance: boolean; sleepAfterSeconds: number | null; deployBranch: string }>('GET', `/api/apps/${APP}`)).body;

const logIn = (p: Page, hash = '') => logInWithToken(p, mc, hash);

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  redis = await startRedis();
  const httpPort = await freePort();
  pebble = await startPebble(httpPort); // its HTTP-01 checks go to the router's plain port
  mc = await startMinicloud(redis.url, {
    MINICLOUD_HTTP_PORT: String(httpPort), MINICLOUD_ACME_DIRECTORY: pebble.directory, MINICLOUD_ACME_EMAIL: 'ops@dashact-example.org',
    MINICLOUD_ACME_CA_BUNDLE: pebble.listenerCa, MINICLOUD_ACME_SELF_CHECK: 'off', MINICLOUD_ACME_POLL_INTERVAL: '0.1', MINICLOUD_ACME_RETRY_MIN: '1',
  });
  expect((await mc.api('POST', '/api/apps', { name: APP })).status).toBe(201);
  expect((await mc.api('POST', `/api/apps/${APP}/storage`, { path: '/data' })).status).toBe(201); // something to back up
  // The cron fixture, on a yearly schedule: only "Run now" runs it during the test.
  const repo = fixtureRepo('node-cron');
  writeFileSync(join(repo, 'cloud_manifest.yml'), 'cron:\n  - schedule: "0 0 1 1 *"\n    command: node tick.js\n  - schedule: "0 0 1 1 *"\n    command: node fail.js\n');
  commitAll(repo, 'yearly cron');
  const r = await push(repo, mc.gitUrl(APP));
  expect(r.code, r.output).toBe(0);
  expect((await mc.api('PATCH', `/api/apps/${APP}/config`, { MARKER: 'from-config', DROPME: 'x' })).status).toBe(200);
  ({ browser, page } = await openBrowser());
  page.on('response', (res) => { if (res.status() === 404) notFound.push(res.url()); });
  page.on('dialog', (d) => void d.accept());
});

afterAll(async () => {
  await browser?.close();
  await mc?.stop();
  await pebble?.stop();
  await redis?.stop();
});

describe('dashboard actions', () => {
  it('splits the app page into tabs with addresses, and the server pages into a top menu', async () => {
    await logIn(page, `#/apps/${APP}`);
    await page.getByRole('heading', { name: APP, exact: true }).waitFor();
    await waitText('#app-state', 'running');
    expect(await page.locator('#tab-overview').isVisible()).toBe(true);
    expect(await page.locator('#tab-config').isVisible()).toBe(false);
    await tab('Config');
    expect(page.url()).toContain(`#/apps/${APP}/config`);
    expect(await page.locator('#tab-config').isVisible()).toBe(true);
    expect(await page.locator('#tab-overview').isVisible()).toBe(false);
    expect(await page.locator('nav.tabs a[aria-current="page"]').textContent()).toBe('Config');
    // An address opens its tab directly, and the back button goes to the tab before.
    await page.goto(`${mc.apiUrl}/dashboard/#/apps/${APP}/cron`);
    await page.locator('#tab-cron').waitFor();
    await page.goBack();
    await page.locator('#tab-config').waitFor();

    await page.locator('#menu').getByRole('link', { name: 'Router' }).click();
    await page.getByRole('heading', { name: 'Router' }).waitFor();
    await waitText('#router-daemon', 'worker');
    await waitText('#server-runtime', 'host processes');
    await page.locator('#menu').getByRole('link', { name: 'People' }).click();
    await page.getByRole('heading', { name: 'People', level: 1 }).waitFor();
    await page.locator('#sessions tbody tr').first().waitFor();
    await page.locator('#menu').getByRole('link', { name: 'Alerts' }).click();
    await page.getByRole('heading', { name: 'Server alerts' }).waitFor();
    await page.locator('#menu').getByRole('link', { name: 'Apps' }).click();
    await page.locator('#apps').getByRole('link', { name: APP, exact: true }).waitFor();
  });

  it('offers no image deploy on host processes, and shows "no repository connected" without a 404', async () => {
    await page.goto(`${mc.apiUrl}/dashboard/#/apps/${APP}/releases`);
    await page.locator('#tab-releases').waitFor();
    await waitText('#tab-releases', 'v2');
    expect(await page.getByRole('heading', { name: 'Deploy an image' }).count()).toBe(0);
    await tab('Settings');
    await waitText('#tab-settings', 'No repository connected.');
    expect(notFound.filter((u) => u.includes('/github'))).toEqual([]);
    expect((await mc.api('GET', `/api/apps/${APP}/github`)).body).toEqual({ app: APP, connected: false });
  });

  it('lists the recent deploys, each linking to its whole log', async () => {
    await page.goto(`${mc.apiUrl}/dashboard/#/apps/${APP}/releases`);
    await waitText('#deploys tbody', 'succeeded');
    expect(await page.locator('#deploys tbody tr').count()).toBe(2); // the push, then the config change
    await page.locator('#deploys tbody tr').last().getByRole('link', { name: /^Log of the build deploy/ }).click();
    await waitText('#deploy-state', 'Succeeded: v1.');
    expect(await page.locator('#deploy-log').textContent()).toContain(`Building ${APP}`);
    await page.goBack();
    await page.locator('#tab-releases').waitFor();
  });

  it('sets the deploy branch', async () => {
    await tab('Settings');
    await page.waitForFunction(() => (document.querySelector('#deploy-branch') as HTMLInputElement).value === 'main'); // filled from the app
    await page.getByLabel('Deploy branch').fill('production');
    expect(await outcomeOf(() => page.getByRole('button', { name: 'Save branch' }).click())).toBe(`${APP} deploys pushes of production.`);
    expect((await appInfo()).deployBranch).toBe('production');
    await page.getByLabel('Deploy branch').fill('main');
    await page.getByRole('button', { name: 'Save branch' }).click();
    await waitText('#status', `${APP} deploys pushes of main.`);
  });

  it('unsets a config var', async () => {
    await tab('Config');
    await page.getByRole('button', { name: 'Unset DROPME' }).click();
    await waitText('#status', 'Unset DROPME; v');
    const config = (await mc.api<Record<string, string>>('GET', `/api/apps/${APP}/config`)).body;
    expect(config).toEqual({ MARKER: 'from-config' });
    expect(await page.locator('#tab-config').textContent()).not.toContain('DROPME');
  });

  it('lists the cron entries, runs one now, and keeps each run with its duration and exit code', async () => {
    await tab('Cron');
    await waitText('#cron-entries', 'node tick.js');
    expect(await page.locator('#cron-entries').textContent()).toContain('never ran');
    await page.getByRole('button', { name: 'Run node tick.js now' }).click();
    await waitText('#status', 'Started node tick.js');
    await page.getByRole('button', { name: 'Run node fail.js now' }).click();
    await waitText('#status', 'Started node fail.js');
    await until('both runs ended, in the page', async () => {
      await page.getByRole('button', { name: 'Refresh runs' }).click();
      const text = (await page.locator('#cron-runs').textContent()) ?? '';
      return text.includes('exit 0') && text.includes('failed: exit 2') ? true : undefined;
    });
    const runs = (await mc.api<{ command: string; exitCode: number; finishedAt: string }[]>('GET', `/api/apps/${APP}/cron/runs`)).body;
    expect(runs.map((r) => [r.command, r.exitCode]).sort()).toEqual([['node fail.js', 2], ['node tick.js', 0]]);
    expect(await page.locator('#cron-runs tbody tr').first().textContent()).toMatch(/\d+\.\d s/);
    // Its output went to the app's log like a scheduled run's.
    await tab('Logs');
    await waitText('#app-logs', 'tick marker from-config');
    // What the API refuses: an entry not in the manifest.
    const bad = await mc.api<{ error: string }>('POST', `/api/apps/${APP}/cron/run`, { schedule: '* * * * *', command: 'rm -rf /' });
    expect(bad.status).toBe(404);
    expect(bad.body.error).toContain('has no cron entry');
  });

  it('sets when the app sleeps, puts it to sleep, and wakes it', async () => {
    await tab('Settings');
    await page.getByLabel('Sleep after (minutes idle; empty: never)').fill('30');
    await page.getByRole('button', { name: 'Save sleep setting' }).click();
    await waitText('#status', `${APP} sleeps after 30 min without requests.`);
    expect((await appInfo()).sleepAfterSeconds).toBe(1800);
    await page.getByRole('button', { name: 'Sleep now' }).click();
    await waitText('#status', `${APP} is asleep`);
    expect((await appInfo()).state).toBe('sleeping');
    await tab('Overview');
    await page.getByRole('button', { name: 'Wake' }).click();
    await waitText('#status', 'Woken.');
    expect((await appInfo()).state).toBe('running');
    await waitText('#app-state', 'running');
  });

  it('turns maintenance on and off; the router serves the 503 page meanwhile', async () => {
    await tab('Settings');
    await page.getByRole('button', { name: 'Turn maintenance on' }).click();
    await waitText('#status', 'Maintenance is on');
    expect((await appInfo()).maintenance).toBe(true);
    expect((await get(mc.httpPort, `${APP}.localhost`)).status).toBe(503);
    await waitText('#app-maintenance', 'on');
    await page.getByRole('button', { name: 'Turn maintenance off' }).click();
    await waitText('#status', 'Maintenance is off');
    expect((await get(mc.httpPort, `${APP}.localhost`)).status).toBe(200);
  });

  it('changes the router settings and the resource limits', async () => {
    await page.getByLabel('Timeout (seconds; empty: default)').fill('75');
    await page.getByLabel(/Largest request body/).fill('2m');
    await page.getByRole('button', { name: 'Save router settings' }).click();
    await waitText('#status', 'Router settings saved.');
    expect((await mc.api('GET', `/api/apps/${APP}/router`)).body).toMatchObject({ timeoutSeconds: 75, maxBodyBytes: 2 * 1024 * 1024, httpsOnly: false });
    await waitText('#router-state', 'Timeout 75 s');
    await page.getByLabel('Timeout (seconds; empty: default)').fill('');
    await page.getByRole('button', { name: 'Save router settings' }).click();
    await waitText('#router-state', '(default)');
    expect((await mc.api('GET', `/api/apps/${APP}/router`)).body).toMatchObject({ timeoutSeconds: null });

    await page.getByRole('textbox', { name: /^Memory/ }).fill('256M');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await waitText('#status', 'Limits saved: memory 256 MiB');
    expect((await mc.api('GET', `/api/apps/${APP}/resources`)).body).toMatchObject({ memoryMb: 256, default: false });
    // A bad value is refused with the API's reason; nothing changes.
    await page.getByRole('textbox', { name: /^Memory/ }).fill('lots');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await waitText('#status', 'Failed: memory must be a size');
    expect((await mc.api('GET', `/api/apps/${APP}/resources`)).body).toMatchObject({ memoryMb: 256 });
  });

  it('makes a backup, schedules them, and restores one', async () => {
    await tab('Backups');
    expect(await outcomeOf(() => page.getByRole('button', { name: 'Create backup' }).click())).toMatch(/^Backup .* made and verified/);
    const [backup] = (await mc.api<{ id: string; status: string }[]>('GET', `/api/apps/${APP}/backups`)).body;
    expect(backup!.status).toBe('good');
    await page.getByLabel('Back up').selectOption('daily');
    await page.getByLabel('Keep (newest good ones)').fill('3');
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await waitText('#status', 'Backups daily, keeping 3.');
    expect((await mc.api('GET', `/api/apps/${APP}/backups/schedule`)).body).toMatchObject({ frequency: 'daily', keep: 3 });
    // Downloaded as the CLI's backups:download does: a tar of its files, through the session.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: `Download backup ${backup!.id}` }).click()]);
    expect(download.suggestedFilename()).toBe(`${APP}-${backup!.id}.tar`);
    expect(statSync((await download.path())!).size).toBeGreaterThan(1024);
    expect(await outcomeOf(() => page.getByRole('button', { name: `Restore backup ${backup!.id}` }).click())).toMatch(new RegExp(`^Restored .*from ${backup!.id}\\.$`));
  });

  it('renews a certificate from the domains tab, only where the CA can be asked', async () => {
    expect((await mc.api('POST', `/api/apps/${APP}/domains`, { domain: CUSTOM })).status).toBe(201);
    type Cert = { domain: string; status: string; serial: string | null };
    const certOf = async (domain: string) => (await mc.api<{ domains: Cert[] }>('GET', `/api/apps/${APP}/certs`)).body.domains.find((c) => c.domain === domain);
    const first = await until('a certificate from Pebble', async () => { const c = await certOf(CUSTOM); return c?.status === 'valid' ? c : undefined; }, 120_000);
    await tab('Domains & certs');
    await page.reload(); // the domain was added from outside the page
    await waitText('#domains', CUSTOM);
    await page.getByRole('button', { name: `Renew the certificate of ${CUSTOM}` }).waitFor();
    // A localhost name is never ordered: no button to renew it.
    expect(await page.getByRole('button', { name: `Renew the certificate of ${APP}.localhost` }).count()).toBe(0);
    expect(await outcomeOf(() => page.getByRole('button', { name: `Renew the certificate of ${CUSTOM}` }).click())).toMatch(`Certificate of ${CUSTOM}: valid, Pebble`);
    const renewed = await certOf(CUSTOM);
    expect(renewed?.status).toBe('valid');
    expect(renewed?.serial).not.toBe(first.serial);
  });

  it('shows what uses the disk, previews a prune and prunes', async () => {
    await page.locator('#menu').getByRole('link', { name: 'Disk' }).click();
    await page.getByRole('heading', { name: 'Disk' }).waitFor();
    await waitText('#disk-summary', 'free of');
    await waitText('#disk tbody', APP);
    expect(await outcomeOf(() => page.getByRole('button', { name: 'Preview a prune' }).click())).toMatch(/^A prune would free /);
    expect(await page.locator('#prune-result').textContent()).toContain('Would free');
    expect(await outcomeOf(() => page.getByRole('button', { name: 'Prune', exact: true }).click())).toMatch(/^Freed /);
    expect(await page.locator('#prune-result').textContent()).toMatch(/Freed .*free now/);
    expect((await get(mc.httpPort, `${APP}.localhost`)).status).toBe(200); // what runs is kept
  });

  it('renames the app, then destroys it only with its name typed', async () => {
    await page.goto(`${mc.apiUrl}/dashboard/#/apps/${APP}/settings`);
    await page.getByLabel('New name').fill('dashact2');
    await page.getByRole('button', { name: 'Rename app' }).click();
    await waitText('#status', 'Renamed dashact to dashact2.');
    await page.getByRole('heading', { name: 'dashact2', exact: true }).waitFor();
    expect(page.url()).toContain('#/apps/dashact2/settings');
    expect((await mc.api('GET', '/api/apps/dashact2')).status).toBe(200);

    await page.getByLabel('Type dashact2 to confirm').fill('dashact');
    await page.getByRole('button', { name: 'Destroy app' }).click();
    await waitText('#status', 'Failed: type dashact2 exactly');
    expect((await mc.api('GET', '/api/apps/dashact2')).status).toBe(200);
    await page.getByLabel('Type dashact2 to confirm').fill('dashact2');
    await page.getByRole('button', { name: 'Destroy app' }).click();
    await waitText('#status', 'Destroyed dashact2.');
    await page.getByRole('heading', { name: 'Apps' }).waitFor();
    expect((await mc.api('GET', '/api/apps/dashact2')).status).toBe(404);
  });
});
