// Each h2 connection is read through the inspector (inspect.ts) on its way to its session (tap.ts). Fields nghttp2 would
// drop are refused instead: a stream whose header block held one is marked, and its request gets the guard's 400
// (edge/guard-h2.ts), or, for trailers of a request under way, its stream is reset; counted in routerStats. And the
// client's RST_STREAM frames spend the session's rapid-reset budget (resets.ts) before nghttp2 reads them.
import { constants, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { routerStats } from '../edge/dispatch.ts';
import { H2Inspector } from './inspect.ts';
import { ResetBudget } from './resets.ts';
import { tap } from './tap.ts';

interface Conn { socket: TLSSocket; marks: Map<number, string>; streams: Map<number, ServerHttp2Stream>; budget?: ResetBudget }

export class ClientWatch {
  private readonly conns = new WeakMap<ServerHttp2Session, Conn>();
  /** The connection whose session Node is making right now (it says 'session' while the tap is handed to it). */
  private next: Conn | null = null;

  /** `maxBlock`: the largest header block kept for reading; `maxMarks`: marks kept for streams yet to come. */
  constructor(private readonly maxBlock: number, private readonly maxMarks: number) {}

  /** What the HTTP/2 server gets instead of the TLS socket; `connect` hands it over (and makes the session). */
  connect(socket: TLSSocket, connect: (stream: Duplex) => void): void {
    const c: Conn = { socket, marks: new Map(), streams: new Map() };
    const inspector = new H2Inspector(this.maxBlock, {
      malformed: (id, why) => {
        routerStats.h2Malformed++;
        const open = c.streams.get(id);
        // Trailers of a request under way: its body is cut (h2/index.ts keepCutBodiesCut), the app never gets it whole.
        if (open) return void open.close(constants.NGHTTP2_PROTOCOL_ERROR);
        // Streams nghttp2 refuses itself never come to a request: the oldest marks go first.
        if (c.marks.size >= this.maxMarks) c.marks.delete(c.marks.keys().next().value!);
        c.marks.set(id, why);
      },
      reset: () => c.budget?.spend(),
    });
    this.next = c;
    try {
      connect(tap.through(socket, (chunk) => inspector.push(chunk)));
    } finally {
      this.next = null;
    }
  }

  /** A new session (on 'session'): bound to its connection, its streams followed. */
  session(session: ServerHttp2Session): void {
    const c = this.next;
    if (!c) return;
    this.next = null;
    this.conns.set(session, c);
    c.budget = new ResetBudget(session);
    tap.peer(session, c.socket);
    session.on('stream', (stream: ServerHttp2Stream) => {
      const id = stream.id!;
      c.streams.set(id, stream);
      stream.once('close', () => (c.streams.delete(id), c.marks.delete(id)));
    });
  }

  /** Why this stream's request must be refused, once; undefined when its fields were all well-formed. */
  take(stream: ServerHttp2Stream): string | undefined {
    const c = stream.session ? this.conns.get(stream.session as ServerHttp2Session) : undefined;
    const why = c?.marks.get(stream.id!);
    if (why !== undefined) c!.marks.delete(stream.id!);
    return why;
  }
}
