// Names and config vars that would collide with minicloud's own: refused with the reason, in the CLI user's words.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let mc: Minicloud;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  expect((await mc.cli('apps:create', 'shop')).code).toBe(0);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

describe('app names minicloud keeps for itself', () => {
  it.each(['api', 'git', 'dashboard', 'metrics', 'internal', 'webhooks', 'admin'])('`apps:create %s` is refused, saying why', async (name) => {
    const r = await mc.cli('apps:create', name);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${name} is reserved`);
    expect(r.stderr).toMatch(new RegExp(`my-${name}`));
    expect((await mc.api('GET', `/api/apps/${name}`)).status).toBe(404);
  });

  it('names that merely contain them, and www, are fine', async () => {
    for (const name of ['my-api', 'gitlab', 'www']) expect((await mc.cli('apps:create', name)).code, name).toBe(0);
  });
});

describe('config vars minicloud sets itself', () => {
  it.each([
    ['PORT', 'minicloud sets PORT for each instance'],
    ['DYNO', 'minicloud sets DYNO for each instance'],
  ])('`config:set shop %s=…` is refused with the reason', async (key, why) => {
    const r = await mc.cli('config:set', 'shop', `${key}=1234`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${key} cannot be set: ${why}`);
    expect((await mc.api<Record<string, string>>('GET', '/api/apps/shop/config')).body[key]).toBeUndefined();
  });

  it('variables that change how the app loads code are the app\'s own business, and allowed', async () => {
    const r = await mc.cli('config:set', 'shop', 'NODE_OPTIONS=--max-old-space-size=256', 'LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', 'PYTHONPATH=lib');
    expect(r.code, r.stderr).toBe(0);
    expect((await mc.api<Record<string, string>>('GET', '/api/apps/shop/config')).body).toMatchObject({ NODE_OPTIONS: '--max-old-space-size=256' });
  });

  it('a NUL byte and more than 32 KiB of config in all are refused', async () => {
    expect((await mc.api('PATCH', '/api/apps/shop/config', { A: 'x\u0000y' })).status).toBe(400);
    const big = await mc.api<{ error: string }>('PATCH', '/api/apps/shop/config', { BIG: 'x'.repeat(40_000) });
    expect(big.status).toBe(400);
    expect(big.body.error).toMatch(/config vars would take \d+ bytes; the limit is 32768/);
  });
});

describe('config:set --file .env', () => {
  it('sets every var of a dotenv file, arguments overriding it, and prints no value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-dotenv-'));
    const file = join(dir, '.env');
    writeFileSync(file, '# shop\nexport DATABASE_URL="postgres://u:hunter2@db/shop"\nGREETING=\'hi # there\'\nMODE=dev\nMULTI="a\\nb"\n');
    const r = await mc.cli('config:set', 'shop', '--file', file, 'MODE=prod');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Setting DATABASE_URL, GREETING, MODE and MULTI');
    expect(r.stdout + r.stderr).not.toMatch(/hunter2|hi # there|prod/);
    expect((await mc.api<Record<string, string>>('GET', '/api/apps/shop/config')).body).toMatchObject({
      DATABASE_URL: 'postgres://u:hunter2@db/shop', GREETING: 'hi # there', MODE: 'prod', MULTI: 'a\nb',
    });
  });

  it('refuses a file with a bad line, naming its number and not its value, and sets nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-dotenv-'));
    const file = join(dir, 'bad.env');
    writeFileSync(file, 'FIRST_OK=1\nTOKEN "sup3rsecret"\n');
    const r = await mc.cli('config:set', 'shop', '--file', file);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${file} line 2: expected KEY=value`);
    expect(r.stderr).not.toContain('sup3rsecret');
    expect((await mc.api<Record<string, string>>('GET', '/api/apps/shop/config')).body.FIRST_OK).toBeUndefined();
    const missing = await mc.cli('config:set', 'shop', '--file', join(dir, 'nope.env'));
    expect(missing.stderr).toContain('no file');
  });
});
