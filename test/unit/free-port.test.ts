// Instance ports come from below the kernel's ephemeral range, where outgoing connections never take them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, instancePortRange, isFree } from '../../src/runtime/free-port.ts';

describe('instance ports', () => {
  it('are drawn below the ephemeral range the kernel says, or below 32768 when it says nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ports-'));
    try {
      writeFileSync(join(dir, 'range'), '32768\t60999\n');
      expect(instancePortRange(join(dir, 'range'))).toEqual([10_000, 32_767]);
      writeFileSync(join(dir, 'range'), '8000 60999');
      expect(instancePortRange(join(dir, 'range'))).toEqual([1025, 7999]);
      expect(instancePortRange(join(dir, 'missing'))).toEqual([10_000, 32_767]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is one nothing listens on, outside the range outgoing connections use', async () => {
    const [lo, hi] = instancePortRange();
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      expect(port).toBeGreaterThanOrEqual(lo);
      expect(port).toBeLessThanOrEqual(hi);
      expect(await isFree(port)).toBe(true);
    }
  });

  it('is never one a server holds', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const held = (srv.address() as { port: number }).port;
    expect(await isFree(held)).toBe(false);
    srv.close();
  });
});
