// Passwords of people: scrypt hashes that verify, a login that fails alike for an unknown email, and a bound on
// how many checks run at once (each takes a thread of the pool file reads also use).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { People, hashPassword, passwordMatches } from '../../src/api/access/people.ts';
import { parseNewUser } from '../../src/api/inputs.ts';
import { Store } from '../../src/store/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-people-'));
const store = new Store(join(dir, 'minicloud.db'));
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

it('stores a salted scrypt hash that verifies the password and nothing else', async () => {
  const a = await hashPassword('a long password');
  expect(a).toMatch(/^scrypt\$/);
  expect(a).not.toContain('a long password');
  expect(a).not.toBe(await hashPassword('a long password'));
  expect(await passwordMatches('a long password', a)).toBe(true);
  expect(await passwordMatches('a long passwore', a)).toBe(false);
  expect(await passwordMatches('x', 'not a hash')).toBe(false);
});

it('adds people with checked input and logs them in by email, any case', async () => {
  store.apps.create('shop');
  const people = new People(store);
  const add = async (body: unknown) => people.add(parseNewUser(body)); // as POST /api/users does
  await expect(add({ email: 'nope', role: 'member', apps: ['shop'] })).rejects.toThrow(/invalid email/);
  await expect(add({ email: 'a@example.com', role: 'member' })).rejects.toThrow(/a member works on named apps/);
  await expect(add({ email: 'a@example.com', role: 'member', apps: ['shop'], password: 'short' })).rejects.toThrow(/at least 12/);
  await expect(add({ email: 'a@example.com', role: 'member', apps: ['nowhere'] })).rejects.toThrow(/nowhere/);
  const made = await add({ email: 'A@Example.com', role: 'member', apps: ['shop'] });
  expect(made.user).toMatchObject({ email: 'a@example.com', apps: ['shop'] });
  expect(made.password!.length).toBeGreaterThanOrEqual(20);
  expect(await people.login('a@EXAMPLE.com', made.password!)).toMatchObject({ email: 'a@example.com' });
  expect(await people.login('a@example.com', 'wrong')).toBeNull();
  expect(await people.login('nobody@example.com', made.password!)).toBeNull();
});

it('runs at most two checks at once, queues a few, and answers the rest 503', async () => {
  const people = new People(store);
  const results = await Promise.allSettled(Array.from({ length: 30 }, () => people.login('a@example.com', 'wrong')));
  const busy = results.filter((r) => r.status === 'rejected');
  expect(busy.length).toBe(30 - 2 - 16);
  expect(String((busy[0] as PromiseRejectedResult).reason)).toContain('too many logins at once');
  expect(results.filter((r) => r.status === 'fulfilled' && r.value === null)).toHaveLength(18);
  expect(await people.login('a@example.com', 'wrong')).toBeNull(); // slots all given back
});
