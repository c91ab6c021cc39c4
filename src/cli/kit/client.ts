// HTTP client of the minicloud REST API: JSON requests, NDJSON streams, API errors as UserError.
import { UserError, type ApiError, type LogEvent } from '../../core/index.ts';
import { rawRequest } from './transfer.ts';

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

export class Client {
  constructor(
    readonly url: string,
    private readonly token: string,
    /** Another Authorization header instead of the bearer token (a person's email and password: tokens:create --email). */
    private readonly authorization?: string,
  ) {}

  /** The Authorization header every request carries (the console's websocket sends it too). */
  authorizationHeader(): string {
    return this.authorization ?? `Bearer ${this.token}`;
  }

  /** A streamed request (server archives) over node:http(s), without fetch's time limits. */
  raw(method: string, path: string, body?: Parameters<typeof rawRequest>[4]): ReturnType<typeof rawRequest> {
    return rawRequest(this.url, this.authorization ?? `Bearer ${this.token}`, method, path, body);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new UserError(`minicloud at ${this.url} sent a response that is not JSON`, 'is MINICLOUD_URL pointing at minicloud?');
    }
  }

  /**
   * Yields NDJSON objects as they arrive, so a followed log prints line by line. A connection that
   * breaks mid-stream throws StreamBroken; one that ends cleanly just ends the iteration.
   */
  async *stream<T = LogEvent>(path: string, method = 'GET', body?: unknown): AsyncGenerator<T> {
    const res = await this.send(method, path, body);
    if (!res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read().catch((e: unknown) => {
          throw new StreamBroken(this.url, e);
        });
        buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line) yield parseLine<T>(line);
        }
        if (done) break;
      }
      if (buffer.trim()) yield parseLine<T>(buffer.trim());
    } finally {
      await reader.cancel().catch(() => {});
    }
  }

  private async send(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: this.authorization ?? `Bearer ${this.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.url + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw this.networkError(e);
    }
    if (!res.ok) throw await apiError(res);
    return res;
  }

  private networkError(e: unknown): Error {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const code = cause?.code ?? (e as { code?: string }).code;
    if (code && UNREACHABLE.has(code)) {
      return new UserError(
        `cannot reach minicloud at ${this.url}`,
        'is `npm start` running? set MINICLOUD_URL to point elsewhere',
      );
    }
    const why = cause?.message ?? (e instanceof Error ? e.message : String(e));
    return new UserError(`request to minicloud at ${this.url} failed: ${why}`);
  }
}

/** The server or the network dropped a stream before its end. */
export class StreamBroken extends UserError {
  constructor(url: string, cause: unknown) {
    super(`lost the connection to minicloud at ${url}`, 'check that the server is still running, then try again');
    this.name = 'StreamBroken';
    this.cause = cause;
  }
}

function parseLine<T>(line: string): T {
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new UserError('the server sent a stream line that is not JSON', 'is the server the same version as the CLI?');
  }
}

async function apiError(res: Response): Promise<UserError> {
  let body: Partial<ApiError> = {};
  try {
    body = (await res.json()) as Partial<ApiError>;
  } catch {
    // Not our JSON (a proxy's HTML page, say): fall back to the status line.
  }
  const message = typeof body.error === 'string' && body.error ? body.error : `HTTP ${res.status} ${res.statusText}`.trim();
  let hint = typeof body.hint === 'string' ? body.hint : undefined;
  if (res.status === 401) hint = 'run `minicloud login` with a valid token';
  return new UserError(message, hint, res.status);
}
