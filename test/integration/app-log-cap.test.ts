// An app's log has a cap on host processes too (MINICLOUD_APP_LOG_MAX_MB): a process writing its own app.log well
// past it leaves at most the cap in app.log.1 (the newest part) and app.log starts again; `minicloud logs` reads on.
import { randomBytes } from 'node:crypto';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { until } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const APP = `logcap-${randomBytes(3).toString('hex')}`;
const MIB = 1024 * 1024;
let redis: TestRedis;
let mc: Minicloud;
let repo: string;

// 4 MiB of numbered lines once it listens, then one last line.
const SERVER = `
const http = require('node:http');
http.createServer((req, res) => res.end('ok')).listen(process.env.PORT, () => {
  const pad = 'x'.repeat(1000);
  for (let i = 0; i < 4096; i++) console.log('line ' + i + ' ' + pad);
  console.log('the last line');
});
`;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_APP_LOG_MAX_MB: '1' });
  repo = fixtureRepo('node-hello');
  writeFileSync(join(repo, 'server.js'), SERVER);
  commitAll(repo, 'chatty');
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

it('keeps app.log and app.log.1 within the cap while the app writes 4 MiB', async () => {
  expect((await mc.api('POST', '/api/apps', { name: APP })).status).toBe(201);
  const r = await push(repo, mc.gitUrl(APP));
  expect(r.code, r.output).toBe(0);
  const log = join(mc.dataDir, 'logs', APP, 'app.log');
  const size = (f: string) => statSync(f, { throwIfNoEntry: false })?.size ?? 0;
  await until('app.log rotated into app.log.1 after the app printed its last line', async () => {
    const s = size(log);
    return size(`${log}.1`) > 0 && s < MIB ? true : undefined;
  });
  expect(size(`${log}.1`)).toBeLessThanOrEqual(MIB);
  expect(size(log)).toBeLessThan(MIB);
  const logs = await mc.cli('logs', APP, '--source', 'app', '-n', '5');
  expect(logs.code, logs.stderr).toBe(0);
  expect(logs.stdout).toMatch(/app\[web\.1\]: the last line\n*$/); // the newest lines, from app.log.1
});
