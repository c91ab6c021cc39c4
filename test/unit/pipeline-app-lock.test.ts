// The per-app deploy lock: one holder at a time, across processes; a dead holder's lock is taken over.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processStart } from '../../src/core/index.ts';
import { AppLocks, type LockHolder } from '../../src/pipeline/app-lock.ts';
import { isAlive, waitFor } from '../helpers/proc.ts';

const tmp = mkdtempSync(join(tmpdir(), 'mc-locks-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const dir = () => join(tmp, String(++n));

describe('AppLocks', () => {
  it('lets one deploy of an app hold it; the next waits, is told who holds it, and gets it on release', async () => {
    const locks = new AppLocks(dir(), 20);
    await locks.acquire('shop', 'd1', () => {});
    const waits: LockHolder[] = [];
    let second = false;
    const pending = locks.acquire('shop', 'd2', (h) => waits.push(h)).then(() => { second = true; });
    await waitFor(() => waits.length === 1, 2000, 'the second deploy to be told it waits');
    expect(waits[0]).toMatchObject({ pid: process.pid, deployId: 'd1' });
    await locks.acquire('other-app', 'd3', () => { throw new Error('another app never waits'); });
    expect(second).toBe(false);
    locks.release('shop');
    await pending;
    expect(second).toBe(true);
  });

  it('takes over a lock whose holder died (kill -9), and waits on one whose holder lives in another process', async () => {
    const d = dir();
    const locks = new AppLocks(d, 20);
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await waitFor(() => processStart(child.pid!) !== null, 2000, 'the holder process to start');
    const holder = { pid: child.pid!, start: processStart(child.pid!)!, deployId: 'old' };
    writeFileSync(join(d, 'shop.lock'), JSON.stringify(holder));
    const waits: LockHolder[] = [];
    let got = false;
    const pending = locks.acquire('shop', 'new', (h) => waits.push(h)).then(() => { got = true; });
    await waitFor(() => waits.length === 1, 2000, 'the deploy to wait on a live holder');
    expect(got).toBe(false);
    child.kill('SIGKILL');
    await waitFor(() => !isAlive(child.pid!), 2000, 'the holder to die');
    await pending;
    expect(JSON.parse(readFileSync(join(d, 'shop.lock'), 'utf8'))).toMatchObject({ pid: process.pid, deployId: 'new' });
  });

  it('does not mistake a later process that reused the pid for the holder', async () => {
    const d = dir();
    const locks = new AppLocks(d, 20);
    // Our own pid, with another start time: the holder that had this pid is gone.
    writeFileSync(join(d, 'shop.lock'), JSON.stringify({ pid: process.pid, start: '1', deployId: 'old' }));
    await locks.acquire('shop', 'new', () => { throw new Error('must not wait'); });
    locks.releaseAll();
    expect(existsSync(join(d, 'shop.lock'))).toBe(false);
  });
});
