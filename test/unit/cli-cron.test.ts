// Contract tests of the cron commands: cron (entries and recent runs) and cron:run (an entry now).
import { describe, expect, it } from 'vitest';
import { took } from '../../src/cli/commands/cron.ts';
import { sendJson, useCliServer } from './cli-harness.ts';

const srv = useCliServer();
const run = srv.run;
const calls = () => srv.seen.map((s) => `${s.method} ${s.url}`);

const TICK = { schedule: '*/5 * * * *', command: 'node tick.js' };
const entries = [
  { ...TICK, lastRun: { startedAt: new Date(Date.now() - 120_000).toISOString(), finishedAt: new Date().toISOString(), exitCode: 0 } },
  { schedule: '0 3 * * *', command: 'node tick.js', lastRun: null },
  { schedule: '0 4 * * *', command: 'node fail.js', lastRun: null },
];
const runs = [
  { ...TICK, release: 3, startedAt: '2026-01-01T10:00:00.000Z', finishedAt: '2026-01-01T10:00:01.500Z', exitCode: 0 },
  { schedule: '0 4 * * *', command: 'node fail.js', release: 3, startedAt: '2026-01-01T09:00:00.000Z', finishedAt: '2026-01-01T09:02:05.000Z', exitCode: 2 },
];

describe('cron', () => {
  it('lists the entries with their last run, then the recent runs with how long they took and how they ended', async () => {
    srv.handler = (q, res) => sendJson(res, 200, q.url.includes('/cron/runs') ? runs : entries);
    const r = await run(['cron', 'my-app', '-n', '5']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^SCHEDULE +COMMAND +LAST RUN$/);
    expect(lines[1]).toMatch(/^\*\/5 \* \* \* \* +node tick\.js +last run 2m ago: exit 0$/);
    expect(lines[3]).toMatch(/^0 4 \* \* \* +node fail\.js +never ran$/);
    expect(r.stdout).toContain('=== Recent runs');
    expect(lines.find((l) => l.includes('node fail.js') && l.includes('2m05s'))).toMatch(/failed: exit 2 +v3$/);
    expect(calls().sort()).toEqual(['GET /api/apps/my-app/cron', 'GET /api/apps/my-app/cron/runs?n=5']);
  });

  it('refuses a bad -n without a request', async () => {
    expect((await run(['cron', 'my-app', '-n', '0'])).stderr).toContain('-n must be a whole number from 1 to 200');
    expect(srv.seen).toEqual([]);
  });

  it('says durations as the table shows them', () => {
    expect(took({ startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:00.250Z' })).toBe('0.3s');
    expect(took({ startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:03:04Z' })).toBe('3m04s');
    expect(took({ startedAt: '2026-01-01T00:00:00Z', finishedAt: null })).toBe('running');
  });
});

describe('cron:run', () => {
  it('runs the entry with that command now', async () => {
    srv.handler = (q, res) => sendJson(res, q.method === 'POST' ? 202 : 200, q.method === 'POST' ? { startedAt: '2026-01-01T00:00:00Z' } : entries);
    const r = await run(['cron:run', 'my-app', 'node fail.js']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('Running node fail.js (0 4 * * *) on my-app... started');
    expect(srv.seen.at(-1)).toMatchObject({ method: 'POST', url: '/api/apps/my-app/cron/run', body: { schedule: '0 4 * * *', command: 'node fail.js' } });
  });

  it('asks which one when two entries run the same command, and takes --schedule', async () => {
    srv.handler = (q, res) => sendJson(res, q.method === 'POST' ? 202 : 200, q.method === 'POST' ? {} : entries);
    const two = await run(['cron:run', 'my-app', 'node tick.js']);
    expect(two.code).toBe(1);
    expect(two.stderr).toContain('pick one with --schedule: "*/5 * * * *" or "0 3 * * *"');
    expect(calls()).toEqual(['GET /api/apps/my-app/cron']);
    const one = await run(['cron:run', 'my-app', 'node tick.js', '--schedule', '0 3 * * *']);
    expect(one.code, one.stderr).toBe(0);
    expect(srv.seen.at(-1)?.body).toEqual({ schedule: '0 3 * * *', command: 'node tick.js' });
  });

  it('names an entry the app does not have, and the server\'s refusal', async () => {
    srv.handler = (_q, res) => sendJson(res, 200, entries);
    const none = await run(['cron:run', 'my-app', 'rm -rf /']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('my-app has no cron entry running "rm -rf /"');
    srv.handler = (q, res) => sendJson(res, q.method === 'POST' ? 409 : 200, q.method === 'POST' ? { error: 'my-app is stopped; its cron entries do not run' } : entries);
    const stopped = await run(['cron:run', 'my-app', 'node fail.js']);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain('my-app is stopped');
  });
});
