// The upstream idle timeout's error, made by every engine's own timer, and told apart from a crashed app (504, not 502).
export const TIMEOUT_CODE = 'MINICLOUD_UPSTREAM_TIMEOUT';
// undici's own idle timeouts of the pooled engine: waiting for the head, then between body chunks.
const TIMEOUTS = new Set([TIMEOUT_CODE, 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The error an engine fails a try with when the app was silent for `ms`. */
export function idleTimeout(ms: number): Error {
  return Object.assign(new Error(`upstream idle for ${ms} ms`), { code: TIMEOUT_CODE });
}

export function isTimeout(err: unknown): boolean {
  return TIMEOUTS.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');
}
