// Redis stopped, then back empty, with a deploy waiting: 503s with the reason meanwhile, the deploy runs again, nobody hangs.
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deploy } from '../../src/core/index.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { waitFor } from '../helpers/proc.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let mc: Minicloud;
let repo: string;
const tmp = mkdtempSync(join(tmpdir(), 'mc-redis-loss-'));
chmodSync(tmp, 0o1777); // the build runs as the app's own user when minicloud is root
const marks = join(tmp, 'marks.jsonl');
const gate = join(tmp, 'gate');
const APP = 'rl';

const builds = () => (existsSync(marks) ? readFileSync(marks, 'utf8').split('\n').filter((l) => l.includes('"start"')).length : 0);
const deploys = async () => (await mc.api<Deploy[]>('GET', `/api/apps/${APP}/deploys`)).body;
const setVersion = (v: string) => {
  const file = join(repo, 'server.js');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/const VERSION = '[^']*'/, `const VERSION = '${v}'`));
};

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  repo = fixtureRepo('node-restarts');
  expect((await mc.cli('apps:create', APP)).code).toBe(0);
  const r = await push(repo, mc.gitUrl(APP));
  expect(r.code, r.output).toBe(0);
});

afterAll(async () => {
  writeFileSync(gate, '');
  await mc?.stop();
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('Redis stopped, then back empty', () => {
  it('answers 503 with the reason within 2 s meanwhile, and the deploy that waited runs once Redis is back', async () => {
    expect((await mc.cli('config:set', APP, `BUILD_MARKS=${marks}`, `BUILD_GATE=${gate}`)).code).toBe(0);
    // A push builds (held open by the gate); a config change waits behind it in the queue.
    setVersion('v2');
    commitAll(repo, 'v2');
    const pushing = push(repo, mc.gitUrl(APP));
    await waitFor(() => builds() === 1, 60_000, 'the build to start');
    const waiting = mc.api<{ error: string; hint: string }>('PATCH', `/api/apps/${APP}/config`, { FOO: 'queued' });
    const queued = await until('the config change to wait in the queue', async () => (await deploys()).find((d) => d.kind === 'release' && d.status === 'queued'));

    const port = redis.port;
    await redis.stop();
    let started = Date.now();
    // The caller that waited in the queue is answered too, not left hanging.
    const waited = await waiting;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(waited.status).toBe(503);
    expect(waited.body.error).toContain('went away while this waited in it');
    started = Date.now();
    const refused = await mc.api<{ error: string; hint: string }>('PATCH', `/api/apps/${APP}/config`, { BAR: 'x' });
    expect(Date.now() - started).toBeLessThan(2000); // generous: the answer is meant to come at once
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatch(new RegExp(`job queue \\(Redis at 127\\.0\\.0\\.1:${port}\\) is not answering: .*(ECONNREFUSED|closed|lost)`));
    const cli = await mc.cli('restart', APP);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain('is not answering');
    setVersion('v3');
    commitAll(repo, 'v3');
    const refusedPush = await push(repo, mc.gitUrl(APP));
    expect(refusedPush.code).not.toBe(0);
    expect(refusedPush.output).toContain('is not answering');
    expect(readdirSync(join(mc.dataDir, 'sources', 'incoming'))).toEqual([]); // its archive is not left behind
    const config = (await mc.api<Record<string, string>>('GET', `/api/apps/${APP}/config`)).body;
    expect(config).not.toHaveProperty('FOO');
    expect(config).not.toHaveProperty('BAR');
    expect((await get(mc.httpPort, `${APP}.localhost`)).status).toBe(200); // apps keep serving

    redis = await startRedis(port); // the same address, none of the data
    const back = Date.now();
    writeFileSync(gate, '');
    const r = await pushing;
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/-----> v\d+ is live/);
    const change = await until('the config change that waited to run', async () => {
      const d = (await deploys()).find((x) => x.id === queued.id);
      return d?.status === 'succeeded' || d?.status === 'failed' ? d : undefined;
    }, 60_000);
    expect(Date.now() - back).toBeLessThan(60_000);
    expect(change.status).toBe('succeeded');
    expect((await mc.api<Record<string, string>>('GET', `/api/apps/${APP}/config`)).body).toMatchObject({ FOO: 'queued' });
    const log = await (await fetch(`${mc.apiUrl}/api/apps/${APP}/deploys/${change.id}/log`, { headers: { authorization: `Bearer ${mc.token}` } })).text();
    expect(log).toContain("minicloud's job queue (Redis) lost this deploy; it is queued again");
    expect(JSON.parse((await get(mc.httpPort, `${APP}.localhost`)).body)).toMatchObject({ version: 'v2', foo: 'queued' });
    expect(builds()).toBe(1);
    // And calls work again.
    expect((await mc.cli('config:set', APP, 'BAR=after')).code).toBe(0);
  });
});
