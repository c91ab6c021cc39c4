// Restart backoff for crashed instances: 1 s doubling to 5 min, forgiven after 10 min up.
export const BACKOFF = { firstMs: 1000, maxMs: 5 * 60_000, resetAfterMs: 10 * 60_000 };

export function nextDelay(restarts: number, upForMs: number): { delayMs: number; restarts: number } {
  const n = upForMs >= BACKOFF.resetAfterMs ? 0 : restarts;
  return { delayMs: Math.min(BACKOFF.maxMs, BACKOFF.firstMs * 2 ** n), restarts: n + 1 };
}
