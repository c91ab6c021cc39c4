// The dashboard's Nodes page in a real (headless) Chromium: absent from the menu on one server (host processes), and
// on a one-node Docker Swarm (test/helpers/swarm.ts) the node with its address, role, state, availability, memory
// and the app on it, the join command on request, Drain refused with the reason (nowhere to move to); there the
// app's Console tab says why it has no console.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser } from '../helpers/browser.ts';
import { logInWithToken, statusAfter, phoneFit } from '../helpers/dashboard.ts';
import { dockerHost } from '../helpers/docker.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { startSwarm, type Swarm } from '../helpers/swarm.ts';

let browser: Browser;

beforeAll(async () => { ({ browser } = await openBrowser()); });
afterAll(async () => { await browser?.close(); });

describe('on host processes', () => {
  let redis: TestRedis;
  let mc: Minicloud;
  beforeAll(async () => {
    redis = await startRedis();
    mc = await startMinicloud(redis.url);
  });
  afterAll(async () => {
    await mc?.stop();
    await redis?.stop();
  });

  it('offers no Nodes page; its address says why', async () => {
    const p = await browser.newPage();
    await logInWithToken(p, mc);
    await p.getByRole('heading', { name: 'Apps' }).waitFor();
    await p.waitForTimeout(500); // the menu's check of the runtime
    expect(await p.locator('#menu a', { hasText: 'Catalog' }).isVisible()).toBe(true);
    expect(await p.locator('#menu-nodes').isVisible()).toBe(false);
    await p.evaluate(() => { location.hash = '#/nodes'; });
    await p.locator('#nodes-note', { hasText: 'has no nodes' }).waitFor();
    await p.close();
  });
});

describe('on a one-node swarm', () => {
  let swarm: Swarm;
  let redis: TestRedis;
  let mc: Minicloud;
  const APP = 'nd-dash';

  beforeAll(async () => {
    swarm = await startSwarm({ nodes: 1 });
    const base = process.env.MINICLOUD_BASE_IMAGE_NODE ?? 'minicloud/node';
    dockerHost(); // points the buildpacks at the local base images
    swarm.loadImage(dockerHost(), base);
    const fixture = new URL('../fixtures/runtime-contract/', import.meta.url).pathname;
    swarm.manager.docker('build', '-q', '--build-arg', `BASE_IMAGE=${base}`, '-t', 'nd-dash:1.0', fixture);
    redis = await startRedis();
    mc = await startMinicloud(redis.url, {
      MINICLOUD_RUNTIME: 'swarm', DOCKER_HOST: swarm.manager.dockerHost, MINICLOUD_SWARM_REGISTRY: swarm.registry,
      MINICLOUD_DOCKER_NETWORK: 'mc-nodes-dash', MINICLOUD_HEALTH_INTERVAL: '1',
    });
    expect((await mc.cli('apps:create', APP)).code).toBe(0);
    const r = await mc.cli('deploy', APP, '--image', 'nd-dash:1.0');
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  afterAll(async () => {
    await mc?.stop();
    await redis?.stop();
    await swarm?.down();
  });

  it('lists the node with what runs on it, shows the join command on request, and refuses to drain the only node', async () => {
    const p = await browser.newPage();
    p.setDefaultTimeout(60_000);
    await logInWithToken(p, mc);
    await p.locator('#menu-nodes').waitFor({ state: 'visible' });
    await p.locator('#menu-nodes').click();
    await p.getByRole('heading', { name: 'Nodes' }).waitFor();
    const row = p.locator('#nodes tbody tr').first();
    await row.waitFor();
    const cells = (await row.locator('td').allInnerTexts()).map((t) => t.trim());
    expect(cells[0]).toContain('(this server)');
    expect(cells[1]).toBe(swarm.manager.ip);
    expect(cells.slice(2, 5)).toEqual(['manager', 'ready', 'active']);
    expect(cells[5]).toMatch(/^\d+ MiB of \d+ MiB$/);
    expect(cells[6]).toBe(`${APP} (web)`);
    expect(await row.getByRole('button', { name: /^Activate / }).isVisible()).toBe(false);

    expect(await p.locator('#nodes-join-command').count()).toBe(0); // the token only on request
    await p.getByRole('button', { name: 'Show the join command' }).click();
    await p.locator('#nodes-join-command').waitFor();
    expect(await p.locator('#nodes-join-command').innerText()).toMatch(/^docker swarm join --token SWMTKN-\S+ \S+:2377$/);

    const said = await statusAfter(p, () => row.getByRole('button', { name: /^Drain / }).click());
    expect(said).toContain('no other node takes instances');
    expect((await row.locator('td').allInnerTexts())[4]?.trim()).toBe('active');
    await p.close();
  });

  it('fits a phone: no horizontal scrolling, touch targets at least 44 px high', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const p = await phone.newPage();
    await logInWithToken(p, mc, '#/nodes');
    await p.locator('#nodes tbody tr').first().waitFor();
    const m = await phoneFit(p, '#view button, nav a');
    expect(m.scroll).toBeLessThanOrEqual(m.width);
    expect(m.small).toEqual([]);
    await phone.close();
  });

  it('the app\'s Console tab says why a swarm has none', async () => {
    const p = await browser.newPage();
    await logInWithToken(p, mc, `#/apps/${APP}/console`);
    await p.locator('#console-unsupported', { hasText: 'The Docker Swarm runtime has no interactive console' }).waitFor();
    expect(await p.getByRole('button', { name: 'Connect' }).count()).toBe(0);
    await p.close();
  });
});
