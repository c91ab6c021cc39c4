// Test helper: a stand-in for github.com: git's own http-backend (smart HTTP) over a directory of bare repositories,
// recording every request, optionally requiring a token and holding requests until the test lets them go.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface GitHttp {
  /** `http://127.0.0.1:<port>/`: what MINICLOUD_GITHUB_URL_BASE is set to. */
  base: string;
  /** Every request seen: method, path and its Authorization header. */
  requests: { method: string; path: string; authorization?: string }[];
  /** With a token, a request without `Authorization: Basic x-access-token:<token>` gets 401, as for a private repository. */
  requireToken(token: string | null): void;
  /** Holds each request until the returned function is called (at most `ms`). */
  hold(ms: number): () => void;
  /** Resolves at the next request that arrives. */
  nextRequest(): Promise<void>;
  close(): Promise<void>;
}

export async function startGitHttp(root: string): Promise<GitHttp> {
  const requests: GitHttp['requests'] = [];
  let token: string | null = null;
  let gate: Promise<void> | null = null;
  let arrived: (() => void) | null = null;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization });
    arrived?.();
    arrived = null;
    void (async () => {
      if (gate) await gate;
      const want = token ? `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}` : null;
      if (want && req.headers.authorization !== want) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"' }).end('token required');
        return;
      }
      backend(root, req, res);
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    base: `http://127.0.0.1:${port}/`,
    requests,
    requireToken: (t) => { token = t; },
    hold: (ms) => {
      let release!: () => void;
      gate = new Promise<void>((r) => { release = r; setTimeout(r, ms).unref(); });
      return () => { gate = null; release(); };
    },
    nextRequest: () => new Promise<void>((r) => { arrived = r; }),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** One request through `git http-backend` (CGI): its header block turned into the HTTP answer. */
function backend(root: string, req: IncomingMessage, res: ServerResponse): void {
  const [path, query = ''] = (req.url ?? '/').split('?') as [string, string?];
  const cgi = spawn('git', ['http-backend'], {
    env: {
      ...process.env, GIT_PROJECT_ROOT: root, GIT_HTTP_EXPORT_ALL: '1', PATH_INFO: decodeURIComponent(path), QUERY_STRING: query,
      REQUEST_METHOD: req.method ?? 'GET', CONTENT_TYPE: req.headers['content-type'] ?? '', REMOTE_ADDR: '127.0.0.1',
      ...(req.headers['content-encoding'] && { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) }),
      ...(req.headers['git-protocol'] && { GIT_PROTOCOL: String(req.headers['git-protocol']) }),
    },
  });
  req.pipe(cgi.stdin);
  let head = Buffer.alloc(0);
  let started = false;
  cgi.stdout.on('data', (chunk: Buffer) => {
    if (started) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    started = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString().split('\r\n')) {
      const i = line.indexOf(':');
      const [name, value] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  cgi.on('close', () => res.end());
}
