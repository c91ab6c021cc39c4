// Backup retention and schedules: which backups pruning deletes, when a schedule is due, and the scheduler's tick.
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupScheduler, BackupsService, isDue, parseFrequency, parseKeep, toPrune, type Backup, type BackupStatus } from '../../src/backups/index.ts';
import { Store } from '../../src/store/index.ts';

const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
const b = (id: string, status: BackupStatus, minute: number) => ({ id, status, createdAt: at(minute) });

describe('toPrune', () => {
  it('keeps the newest `keep` good backups and deletes older good ones', () => {
    const list = [b('g1', 'good', 1), b('g2', 'good', 2), b('g3', 'good', 3), b('g4', 'good', 4)];
    expect(toPrune(list, 2).sort()).toEqual(['g1', 'g2']);
    expect(toPrune(list, 7)).toEqual([]);
  });

  it('never deletes the newest good backup, however many failed ones came after it', () => {
    const list = [b('g1', 'good', 1), b('f1', 'failed', 2), b('f2', 'failed', 3), b('f3', 'failed', 4)];
    const gone = toPrune(list, 1);
    expect(gone).not.toContain('g1');
    expect(gone.sort()).toEqual(['f1', 'f2']);
    expect(toPrune(list, 0)).not.toContain('g1'); // keep is at least 1
  });

  it('prunes failed and unverified backups beyond keep too, and never one that is running', () => {
    const list = [b('u1', 'unverified', 1), b('f1', 'failed', 2), b('f2', 'failed', 3), b('r1', 'running', 0), b('g1', 'good', 4)];
    expect(toPrune(list, 2)).toEqual(['u1']);
  });
});

describe('schedules', () => {
  it('is due when it never ran or its interval passed', () => {
    const now = Date.parse('2026-01-02T00:00:00Z');
    expect(isDue({ frequency: 'daily', lastRunAt: null }, now)).toBe(true);
    expect(isDue({ frequency: 'daily', lastRunAt: '2026-01-01T00:00:00Z' }, now)).toBe(true);
    expect(isDue({ frequency: 'daily', lastRunAt: '2026-01-01T00:00:01Z' }, now)).toBe(false);
    expect(isDue({ frequency: 'hourly', lastRunAt: '2026-01-01T23:00:00Z' }, now)).toBe(true);
    expect(isDue({ frequency: 'weekly', lastRunAt: '2025-12-27T00:00:00Z' }, now)).toBe(false);
  });

  it('parses frequencies and --keep', () => {
    expect(parseFrequency('daily')).toBe('daily');
    expect(parseFrequency('off')).toBe('off');
    expect(() => parseFrequency('monthly')).toThrow('unknown backup schedule "monthly"');
    expect(parseKeep(undefined)).toBe(7);
    expect(parseKeep('3')).toBe(3);
    expect(() => parseKeep('0')).toThrow('--keep');
    expect(() => parseKeep('x')).toThrow('--keep');
  });
});

describe('the scheduler with a real store', () => {
  let dir: string;
  let store: Store;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mc-bks-'));
    store = new Store(join(dir, 'minicloud.db'));
  });
  afterEach(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });

  it('backs up due apps one at a time, marks the run, and prunes beyond keep', async () => {
    store.apps.create('shop');
    store.apps.create('idle');
    store.backups.setSchedule('shop', 'daily', 2);
    const made: string[] = [];
    let i = 0;
    const svc = new BackupsService({ store, dir: join(dir, 'backups'), env: {}, volumes: () => [], restart: async () => null });
    // A stand-in for the dump: records a good backup with a directory on disk.
    svc.create = async (app: string): Promise<Backup> => {
      const id = `b${++i}`;
      const bdir = join(dir, 'backups', app, id);
      mkdirSync(bdir, { recursive: true });
      made.push(app);
      return store.backups.add({ id, app, createdAt: at(i), finishedAt: at(i), status: 'good', size: 0, dir: bdir, parts: [], notes: [], error: null, trigger: 'scheduled' });
    };
    let now = Date.parse('2026-01-01T00:00:00Z');
    const s = new BackupScheduler(store, svc, { now: () => now });
    await s.tick();
    expect(made).toEqual(['shop']);
    expect(store.backups.getSchedule('shop')!.lastRunAt).toBe(new Date(now).toISOString());
    await s.tick(); // not due again yet
    expect(made).toEqual(['shop']);
    for (let d = 1; d <= 3; d++) { now += 24 * 3600_000; await s.tick(); }
    expect(made).toHaveLength(4);
    expect(store.backups.list('shop').map((x) => x.id)).toEqual(['b4', 'b3']);
    expect(existsSync(join(dir, 'backups', 'shop', 'b1'))).toBe(false);
    expect(existsSync(join(dir, 'backups', 'shop', 'b4'))).toBe(true);
  });
});
