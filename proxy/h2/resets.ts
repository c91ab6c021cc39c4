// Rapid-reset protection (CVE-2023-44487): a client that opens streams and resets them at once makes the router start
// an upstream request for each while MAX_CONCURRENT_STREAMS never binds (a reset stream no longer counts). Each
// RST_STREAM the client sends spends from a per-session budget that refills over time (counted as the frame arrives,
// before nghttp2 reads it: watch.ts); a session that overspends is ended with GOAWAY ENHANCE_YOUR_CALM, as nginx and
// h2o do.
import { constants, type ServerHttp2Session } from 'node:http2';

/** Abandoned streams a session may have at once: a page closed mid-load (its assets cancelled) stays well inside. */
export const RESET_BURST = 200;
/** Abandoned streams a session earns back per second. */
export const RESET_REFILL_PER_S = 50;

export class ResetBudget {
  private left = RESET_BURST;
  private at = performance.now();

  constructor(private readonly session: ServerHttp2Session) {}

  /** A stream the client reset. */
  spend(): void {
    const now = performance.now();
    this.left = Math.min(RESET_BURST, this.left + ((now - this.at) / 1000) * RESET_REFILL_PER_S);
    this.at = now;
    if (--this.left >= 0 || this.session.destroyed) return;
    // An Error, not undefined: destroy()'s default error is the number NO_ERROR, which would replace the code.
this.session.destroy(new Error('too many streams reset (rapid reset)'), constants.NGHTTP2_ENHANCE_YOUR_CALM);
  }
}
