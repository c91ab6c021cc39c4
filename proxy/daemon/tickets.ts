// The TLS session ticket keys of the daemon: made by the primary, the same in every worker (a client resumes its
// session whichever worker its next connection reaches), replaced every few hours so a stolen or leaked key opens
// only that stretch of recorded traffic. Kept in memory only: a restarted daemon makes new ones (clients then do one
// full handshake again).
import { randomBytes } from 'node:crypto';

/** How often the keys change; tickets made with the old ones stop resuming (Node holds one key set at a time). */
export const TICKET_ROTATE_MS = 6 * 3600_000;

export class TicketKeys {
  private keys = randomBytes(48);
  private readonly timer: NodeJS.Timeout;

  /** `rotated` is told each new key set, to hand it to every worker. */
  constructor(rotated: (keys: Buffer) => void, everyMs = TICKET_ROTATE_MS) {
    this.timer = setInterval(() => rotated((this.keys = randomBytes(48))), everyMs);
    this.timer.unref();
  }

  get current(): Buffer {
    return this.keys;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
