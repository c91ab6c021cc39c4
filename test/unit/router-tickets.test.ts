// The router daemon's TLS ticket keys: 48 random bytes, replaced on a timer, each new set told to whoever hands them on.
import { expect, it } from 'vitest';
import { TicketKeys } from '../../proxy/daemon/tickets.ts';
import { until } from '../helpers/net.ts';

it('makes 48-byte keys and rotates them, telling each new set', async () => {
  const told: Buffer[] = [];
  const keys = new TicketKeys((k) => told.push(k), 20);
  const first = keys.current;
  expect(first).toHaveLength(48);
  await until('two rotations', async () => (told.length >= 2 ? true : undefined), 30_000);
  keys.stop();
  expect(told[0]).not.toEqual(first);
  expect(told[1]).not.toEqual(told[0]);
  expect(keys.current).toEqual(told.at(-1));
});
