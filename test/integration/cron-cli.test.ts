// `minicloud cron` and `minicloud cron:run` as a user types them, against a real minicloud on host processes: an app
// whose entries run once a year, so every run seen here is one the user asked for. The entry runs now in the current
// release with the app's config, its output reaches `minicloud logs`, `cron` lists how each run ended; bad input and a
// stopped app get a clear error and a non-zero exit.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { until } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const APP = 'cron-by-hand';
const YEARLY = '0 0 1 1 *';

let redis: TestRedis;
let mc: Minicloud;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  expect((await mc.cli('apps:create', APP)).code).toBe(0);
  expect((await mc.cli('config:set', APP, 'MARKER=by-hand-51c2')).code).toBe(0);
  const repo = fixtureRepo('node-cron');
  writeFileSync(join(repo, 'cloud_manifest.yml'), `cron:\n  - schedule: "${YEARLY}"\n    command: node tick.js\n  - schedule: "${YEARLY}"\n    command: node fail.js\n`);
  commitAll(repo, 'yearly entries');
  const r = await push(repo, mc.gitUrl(APP));
  expect(r.code, r.output).toBe(0);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

/** `minicloud cron <app>` once it shows what `done` looks for. */
const cronUntil = (what: string, done: RegExp) => until(what, async () => {
  const r = await mc.cli('cron', APP);
  return r.code === 0 && done.test(r.stdout) ? r.stdout : undefined;
}, 60_000);

describe('minicloud cron and cron:run', () => {
  it('lists the entries before any ran', async () => {
    const r = await mc.cli('cron', APP);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^SCHEDULE\s+COMMAND\s+LAST RUN$/m);
    expect(r.stdout).toMatch(/^0 0 1 1 \*\s+node tick\.js\s+never ran$/m);
    expect(r.stdout).toMatch(/^0 0 1 1 \*\s+node fail\.js\s+never ran$/m);
    expect(r.stdout).not.toContain('=== Recent runs');
  });

  it('cron:run runs an entry now: its output in `minicloud logs`, `cron` shows exit 0 and the release', async () => {
    const r = await mc.cli('cron:run', APP, 'node tick.js');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Running node tick.js (${YEARLY}) on ${APP}... started`);
    const out = await cronUntil('the run to end with exit 0', /node tick\.js\s+\S+\s+exit 0\s+v\d+/);
    expect(out).toContain('=== Recent runs');
    expect(out).toMatch(/^0 0 1 1 \*\s+node tick\.js\s+last run .*: exit 0$/m);
    const logs = await mc.cli('logs', APP, '--source', 'app', '-n', '200');
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('tick marker by-hand-51c2'); // the app's config var, in the current release
  });

  it('a failing entry shows its exit code; --json has the entries and the runs', async () => {
    expect((await mc.cli('cron:run', APP, 'node fail.js')).code).toBe(0);
    const out = await cronUntil('the failed run', /node fail\.js\s+\S+\s+failed: exit 2/);
    expect(out).toMatch(/^0 0 1 1 \*\s+node fail\.js\s+last run .*: failed: exit 2$/m);
    const j = await mc.cli('cron', APP, '--json');
    expect(j.code).toBe(0);
    const parsed = JSON.parse(j.stdout) as { entries: Array<{ command: string }>; runs: Array<{ command: string; exitCode: number | null }> };
    expect(parsed.entries.map((e) => e.command)).toEqual(['node tick.js', 'node fail.js']);
    expect(parsed.runs.find((x) => x.command === 'node fail.js')?.exitCode).toBe(2);
    expect(parsed.runs.find((x) => x.command === 'node tick.js')?.exitCode).toBe(0);
  });

  it('says what was wrong, with a non-zero exit, for bad input', async () => {
    const none = await mc.cli('cron:run', APP, 'node nope.js');
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain(`${APP} has no cron entry running "node nope.js"`);
    expect(none.stderr).toContain(`minicloud cron ${APP}`);
    const bare = await mc.cli('cron:run', APP);
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toContain('which entry?');
    const wrongSchedule = await mc.cli('cron:run', APP, 'node tick.js', '--schedule', '* * * * *');
    expect(wrongSchedule.code).not.toBe(0);
    expect(wrongSchedule.stderr).toContain('on "* * * * *"');
    const n = await mc.cli('cron', APP, '-n', '0');
    expect(n.code).not.toBe(0);
    expect(n.stderr).toContain('-n must be a whole number from 1 to 200');
    const ghost = await mc.cli('cron', 'no-such-app');
    expect(ghost.code).not.toBe(0);
    expect(ghost.stderr).toMatch(/no-such-app/);
  });

  it('refuses to run an entry of a stopped app, and says how to start it', async () => {
    expect((await mc.cli('apps:stop', APP)).code).toBe(0);
    const r = await mc.cli('cron:run', APP, 'node tick.js');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${APP} is stopped; its cron entries do not run`);
    expect(r.stderr).toContain(`minicloud apps:start ${APP}`);
  });
});
