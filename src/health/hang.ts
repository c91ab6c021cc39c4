// Telling a hung instance from a slow one: failed probes in a row, weighed by whether the instance shows any sign of life.
export interface ProbeSettings {
  /** Time between the starts of two probes of one instance. */
  intervalMs: number;
  /** How long one probe may take before it counts as unanswered. */
  timeoutMs: number;
  /** Failed probes in a row, with no sign of life meanwhile, after which the instance is restarted. */
  failures: number;
}

/** The defaults (MINICLOUD_HEALTH_*): a hung instance is seen in about 2 × 2 s and serves again within 15 s. */
export const PROBE_DEFAULTS: ProbeSettings = { intervalMs: 2000, timeoutMs: 2000, failures: 2 };

/**
 * How long probes may go unanswered while the instance is visibly at work (its CPU time or I/O moves) before it
 * is restarted all the same: an event loop spinning in `while (true)` is busy too, but it never answers again.
 */
export const BUSY_WINDOW_MS = 120_000;
/** The same where the runtime cannot tell whether the instance does anything: about what 3 probes 10 s apart gave. */
export const BLIND_WINDOW_MS = 30_000;

export type ProbeOutcome =
  | { ok: true }
  /** Refused, reset, or a 5xx: the app answered that it is broken, or is not listening. It counts. */
  | { ok: false; timedOut: false }
  /** No answer in time: it counts only if `progressed` is false (null: the runtime cannot tell). */
  | { ok: false; timedOut: true; progressed: boolean | null };

/**
 * Why not simply a short timeout and a threshold: a healthy app under load answers a probe late, because the
 * probe waits behind real requests; Kubernetes' answer (3 × 10 s) makes a hung one serve errors for half a
 * minute. A hung process (SIGSTOPped, deadlocked, blocked on a lock) also shows no progress: its CPU time and
 * its reads and writes stand still. A slow one's move. So an unanswered probe counts at once only when nothing
 * moved since the last one; one of a busy instance counts only once probes have gone unanswered for
 * BUSY_WINDOW_MS (a spinning loop is busy and hung). An app that answers slowly under load is never restarted
 * for it, unless it answers no probe for two minutes. Two unanswered probes with nothing moving are enough (the
 * default): a process that uses no CPU and reads and writes nothing for 4 s while a request waits on it is stuck.
 */
export class HangJudge {
  private counted = 0;
  private failingSince: number | null = null;

  constructor(private readonly s: ProbeSettings) {}

  /** Records one probe; true when the instance should be restarted (the count then starts over). */
  record(o: ProbeOutcome, now = Date.now()): boolean {
    if (o.ok) {
      this.counted = 0;
      this.failingSince = null;
      return false;
    }
    this.failingSince ??= now;
    if (!o.timedOut || o.progressed === false) this.counted++;
    const window = o.timedOut && o.progressed === null ? BLIND_WINDOW_MS : BUSY_WINDOW_MS;
    if (this.counted < this.s.failures && now - this.failingSince < window) return false;
    this.counted = 0;
    this.failingSince = null;
    return true;
  }

  /** Failed probes in a row so far (counted or not): for the log line. */
  get failing(): boolean {
    return this.failingSince !== null;
  }
}
