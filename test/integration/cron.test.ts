// Cron end to end: a pushed app's manifest entries run every minute in its current release, output in its log, failures visible.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CronStatus } from '../../src/core/index.ts';
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { until } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;
let pushOutput = '';
const APP = 'crony';

const cron = async () => (await mc.api<CronStatus[]>('GET', `/api/apps/${APP}/cron`)).body;

async function appLog(): Promise<string[]> {
  const res = await fetch(`${mc.apiUrl}/api/apps/${APP}/logs?lines=2000`, { headers: { authorization: `Bearer ${mc.token}` } });
  const text = await res.text();
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; text?: string }).filter((e) => e.type === 'line')
    .map((e) => (e.text ?? '').replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, '')); // each stored line starts with its own time
}

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  expect((await mc.api('POST', '/api/apps', { name: APP })).status).toBe(201);
  expect((await mc.api('PATCH', `/api/apps/${APP}/config`, { MARKER: 'from-config-7f3a' })).status).toBe(200);
  const r = await push(fixtureRepo('node-cron'), mc.gitUrl(APP));
  pushOutput = r.output;
  expect(r.code, r.output).toBe(0);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

describe('cron', () => {
  it('schedules the manifest entries on deploy, and lists them before they ran', async () => {
    expect(pushOutput).not.toContain('not available yet');
    expect(pushOutput).toContain('cron: `node tick.js` on `* * * * *`');
    expect(pushOutput).toContain('cron: `node fail.js` on `* * * * *`');
    const list = await cron();
    expect(list.map((e) => `${e.schedule} ${e.command}`)).toEqual(['* * * * * node tick.js', '* * * * * node fail.js']);
  });

  it('runs each entry within the minute: output in the app log, the failing exit code in /cron and ps', async () => {
    const lines = await until('the cron marker in the app log', async () => {
      const l = await appLog();
      return l.some((t) => t.includes('exited with code 0')) && l.some((t) => t.includes('failed: exited with code 2')) ? l : undefined;
    }, 100_000);
    expect(lines).toContain('cron[* * * * * node tick.js]: tick marker from-config-7f3a');
    expect(lines).toContain('cron[* * * * * node tick.js]: exited with code 0');
    expect(lines).toContain('cron[* * * * * node fail.js]: fail.js: something went wrong');
    expect(lines).toContain('cron[* * * * * node fail.js]: failed: exited with code 2');
    expect(lines.some((t) => /^cron\[\* \* \* \* \* node tick\.js\]: starting \(v\d+\)$/.test(t))).toBe(true);

    const list = await until('both runs recorded', async () => {
      const l = await cron();
      return l.every((e) => e.lastRun?.finishedAt) ? l : undefined;
    });
    expect(list.find((e) => e.command === 'node fail.js')?.lastRun?.exitCode).toBe(2);
    expect(list.find((e) => e.command === 'node tick.js')?.lastRun?.exitCode).toBe(0);

    const ps = await mc.cli('ps', APP);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout).toMatch(/^cron +\* \* \* \* \* +node tick\.js +last run \d+s ago: exit 0$/m);
    expect(ps.stdout).toMatch(/^cron +\* \* \* \* \* +node fail\.js +last run \d+s ago: failed: exit 2$/m);
  });

  it('a config change keeps the entries; an unknown app is a 404', async () => {
    expect((await mc.api('PATCH', `/api/apps/${APP}/config`, { OTHER: '1' })).status).toBe(200);
    expect((await cron()).length).toBe(2);
    const res = await mc.api<{ error?: string }>('GET', '/api/apps/nope/cron');
    expect(res.status).toBe(404);
  });
});
