// An h2 connection's TLS socket seen through a Duplex, so that the router reads the client's bytes (inspect.ts) before
// the HTTP/2 session does. Node runs a session over a stream that is not a socket through its JSStreamSocket, which
// knows nothing of the connection's addresses or TLS: `peer` gives it the TLS socket's, so forwarded headers, trust
// and the access log see the client as they do without the tap.
import type { ServerHttp2Session } from 'node:http2';
import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';

/** A Duplex over `socket` that shows `read` every chunk the client sent before passing it on. */
function through(socket: TLSSocket, read: (chunk: Buffer) => void): Duplex {
  const writeAll = (chunks: Buffer[], done: (e?: Error | null) => void) => {
    if (socket.destroyed) return done(new Error('the connection is closed'));
    socket.cork();
    let ok = true;
    for (const c of chunks) ok = socket.write(c);
    socket.uncork();
    if (ok) done();
    else socket.once('drain', () => done());
  };
  const d = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _enc, done) => writeAll([chunk], done),
    writev: (chunks, done) => writeAll(chunks.map((c) => c.chunk as Buffer), done),
    final: (done) => (socket.end(), done()),
    destroy: (err, done) => (socket.destroy(), done(err)),
  });
  socket.on('data', (chunk: Buffer) => {
    read(chunk);
    if (!d.push(chunk)) socket.pause();
  });
  socket.on('end', () => d.push(null));
  socket.on('error', () => {}); // 'close' follows
  socket.on('close', () => d.destroy());
  return d;
}

// What node:net's Socket asks its handle (or its own cached fields) for its addresses; JSStreamSocket's handle has none.
interface Addressed { _peername?: object; encrypted?: boolean; _handle?: { getsockname?: (out: object) => number } }

/** Gives the session's socket (Node's JSStreamSocket over the tap) the TLS connection's addresses and encryption. */
function peer(session: ServerHttp2Session, tls: TLSSocket): void {
  const s = session.socket as unknown as Addressed;
  s._peername = { address: tls.remoteAddress, family: tls.remoteFamily, port: tls.remotePort };
  s.encrypted = true;
  const handle = s._handle;
  if (handle && !handle.getsockname) {
    const local = { address: tls.localAddress, family: tls.remoteFamily, port: tls.localPort };
    handle.getsockname = (out: object) => (Object.assign(out, local), 0);
  }
}

export const tap = { through, peer };
