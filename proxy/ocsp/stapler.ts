// OCSP stapling's one fetcher: the router daemon's primary asks each served certificate's responder (its AIA OCSP URL)
// for its status, checks the answer (verify.ts), keeps it on disk beside the daemon's certificates (so a restart of
// minicloud or the daemon staples at once), hands it to every worker, and asks again at half its validity. Handshakes
// never wait on a responder: a worker staples what it holds, or nothing. A responder that is down, slow or answers
// garbage costs a warning in the log, once, until it answers well again; a current answer held meanwhile stays.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestDer, subjectOf, type Subject } from './request.ts';
import { checkResponse, type Checked } from './verify.ts';

/** What workers staple: each certificate's (by the SHA-256 of its DER) checked answer, base64, and until when it is current. */
export type Staples = Record<string, { der: string; expires: number }>;

export interface StaplerOptions {
  /** Where answers are kept: `<router dir>/ocsp/<fingerprint>.der`. */
  dir: string;
  say: (line: string) => void;
  /** Told every change of the staples, to hand them to the workers. */
  changed: (staples: Staples) => void;
  /** How long one responder may take to answer. */
  timeoutMs?: number;
}

interface Tracked {
  subject: Subject;
  names: string[];
  checked: Checked | null;
  timer: NodeJS.Timeout | null;
  /** Failed asks in a row (the backoff), and whether the log was told of this streak. */
  failures: number;
}

const MAX_ANSWER = 64 * 1024;
// Between two asks about one certificate: at least this long (a responder with very short answers cannot make us spin)...
const MIN_GAP_MS = 5_000;
// ...and at most this long, even for answers valid for a week.
const MAX_GAP_MS = 24 * 3600_000;
const RETRY_MIN_MS = 60_000;
const RETRY_MAX_MS = 3600_000;
// RFC 5019 §5: requests this short go by GET (cacheable by the CA's CDN), longer ones by POST.
const GET_MAX = 255;
// Asks under way at once: a daemon starting with hundreds of certificates of one CA does not fire them all together.
const IN_FLIGHT = 4;

export class Stapler {
  private readonly tracked = new Map<string, Tracked>();
  private stopped = false;
  private inFlight = 0;
  private readonly turns: Array<() => void> = [];

  constructor(private readonly o: StaplerOptions) {
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  }

  /** The certificates served now (PEM chains by name): new ones are asked about, gone ones forgotten (and their files). */
  track(byName: Record<string, string>): void {
    const next = new Map<string, { subject: Subject; names: string[] }>();
    for (const [name, pem] of Object.entries(byName)) {
      let s: Subject | string;
      try {
        s = subjectOf(pem);
      } catch {
        continue; // a chain that does not parse serves the fallback (worker.ts); nothing to ask
      }
      if (typeof s === 'string') continue; // no responder named: no staple (Let's Encrypt since 2025, self-signed ones)
      const seen = next.get(s.fingerprint);
      if (seen) seen.names.push(name);
      else next.set(s.fingerprint, { subject: s, names: [name] });
    }
    for (const [fp, t] of this.tracked) {
      if (next.has(fp)) continue;
      if (t.timer) clearTimeout(t.timer);
      this.tracked.delete(fp);
    }
    for (const [fp, n] of next) {
      const t = this.tracked.get(fp);
      if (t) t.names = n.names;
      else this.start(n.subject, n.names);
    }
    for (const file of readdirSync(this.o.dir)) if (!this.tracked.has(file.replace(/\.der$/, ''))) rmSync(join(this.o.dir, file), { force: true });
    this.publish();
  }

  /** Every current answer, for a worker that starts. */
  staples(): Staples {
    const out: Staples = {};
    for (const [fp, t] of this.tracked) if (t.checked) out[fp] = { der: t.checked.der.toString('base64'), expires: t.checked.expires };
    return out;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.tracked.values()) if (t.timer) clearTimeout(t.timer);
  }

  /** A certificate newly served: its kept answer, if still current, staples at once; then it is asked about. */
  private start(subject: Subject, names: string[]): void {
    const t: Tracked = { subject, names, checked: null, timer: null, failures: 0 };
    this.tracked.set(subject.fingerprint, t);
    try {
      t.checked = checkResponse(readFileSync(this.file(t)), subject);
    } catch {
      // none kept, or out of date: asked now
    }
    this.schedule(t, t.checked ? this.refreshIn(t.checked) : 0);
  }

  private schedule(t: Tracked, ms: number): void {
    if (this.stopped) return;
    if (t.timer) clearTimeout(t.timer);
    t.timer = setTimeout(() => void this.ask(t), ms);
    t.timer.unref();
  }

  /** Half the answer's validity from its thisUpdate (sooner if that is past), within the gaps above. */
  private refreshIn(c: Checked): number {
    const half = c.thisUpdate + (c.expires - c.thisUpdate) / 2 - Date.now();
    return Math.min(Math.max(half, MIN_GAP_MS), MAX_GAP_MS);
  }

  private async ask(t: Tracked): Promise<void> {
    t.timer = null;
    const s = t.subject;
    if (s.notAfter <= Date.now()) return; // an expired certificate: no answer makes it good
    let checked: Checked;
    // A place among the asks under way: a free one, or the one an ask that ends hands on.
    if (this.inFlight >= IN_FLIGHT) await new Promise<void>((r) => this.turns.push(r));
    else this.inFlight++;
    try {
      if (this.tracked.get(s.fingerprint) !== t || this.stopped) return; // forgotten while it waited its turn
      checked = checkResponse(await this.fetch(s), s);
    } catch (e) {
      if (this.tracked.get(s.fingerprint) !== t) return;
      return this.failed(t, (e as Error).message);
    } finally {
      const next = this.turns.shift();
      if (next) next();
      else this.inFlight--;
    }
    if (this.tracked.get(s.fingerprint) !== t) return; // no longer served
    const was = t.checked?.status;
    if (t.failures > 0) this.o.say(`router: OCSP for ${this.label(t)} answers again`);
    t.failures = 0;
    t.checked = checked;
    if (checked.status !== was) this.announce(t, checked);
    writeAtomic(this.file(t), checked.der);
    this.publish();
    this.schedule(t, this.refreshIn(checked));
  }

  private failed(t: Tracked, why: string): void {
    t.failures++;
    const held = t.checked && t.checked.expires > Date.now() ? t.checked : null;
    if (!held && t.checked) (t.checked = null), this.publish();
    if (t.failures === 1) {
      const now = held ? `its last answer (${held.status}) is stapled until ${new Date(held.expires).toISOString()}` : 'handshakes go on without a staple';
      this.o.say(`router: warning: OCSP for ${this.label(t)} failed: ${why}; ${now}; asking again in a minute or more`);
    }
    const backoff = Math.min(RETRY_MIN_MS * 2 ** (t.failures - 1), RETRY_MAX_MS);
    // A held answer is asked about again before it runs out.
    this.schedule(t, held ? Math.min(backoff, Math.max((held.expires - Date.now()) / 2, MIN_GAP_MS)) : backoff);
  }

  private announce(t: Tracked, c: Checked): void {
    if (c.status === 'revoked') {
      this.o.say(`router: error: the CA says the certificate of ${this.label(t)} is REVOKED; clients are told so (stapled); replace it`);
    } else this.o.say(`router: OCSP for ${this.label(t)}: good, stapled until ${new Date(c.expires).toISOString()}`);
  }

  /** The responder's answer (DER), by GET when the request is short, else POST; bounded in time and size. */
  private async fetch(s: Subject): Promise<Buffer> {
    const req = requestDer(s);
    const get = `${s.url.replace(/\/?$/, '/')}${encodeURIComponent(req.toString('base64'))}`;
    const init: RequestInit = get.length <= GET_MAX
      ? { method: 'GET' }
      : { method: 'POST', body: new Uint8Array(req), headers: { 'content-type': 'application/ocsp-request' } };
    const signal = AbortSignal.timeout(this.o.timeoutMs ?? 10_000);
    let res: Response;
    try {
      res = await fetch(get.length <= GET_MAX ? get : s.url, { ...init, redirect: 'error', signal });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      throw new Error(signal.aborted ? `${s.url} did not answer within ${(this.o.timeoutMs ?? 10_000) / 1000} s` : `${s.url}: ${err.cause?.code ?? err.cause?.message ?? err.message}`);
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`${s.url} answered HTTP ${res.status}`);
    }
    return readCapped(res, MAX_ANSWER, s.url, signal);
  }

  private publish(): void {
    this.o.changed(this.staples());
  }

  private file(t: Tracked): string {
    return join(this.o.dir, `${t.subject.fingerprint}.der`);
  }

  private label(t: Tracked): string {
    return t.names.length > 3 ? `${t.names.slice(0, 3).join(', ')} (+${t.names.length - 3})` : t.names.join(', ');
  }
}

async function readCapped(res: Response, max: number, url: string, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
      n += c.length;
      if (n > max) throw new Error(`${url} sent more than ${max / 1024} KiB`);
      chunks.push(Buffer.from(c));
    }
  } catch (e) {
    await res.body?.cancel().catch(() => {});
    throw signal.aborted ? new Error(`${url} did not finish its answer in time`) : e;
  }
  return Buffer.concat(chunks);
}

function writeAtomic(file: string, data: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, file);
}
