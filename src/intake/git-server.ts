// Smart-HTTP git at /git/<app>.git: our auth and name checks first, then node-git-server runs git itself.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Git } from 'node-git-server';
import { type UserError, validateAppName } from '../core/index.ts';
import { hookScript } from './hook-script.ts';

export interface GitServerOptions {
  reposDir: string;
  hookConfigFile: string;
  /** Checks the password of HTTP basic auth (any user name). */
  checkToken: (token: string) => boolean;
  appExists: (app: string) => boolean;
  /** The largest pack a push may send (git's receive.maxInputSize): refused while it arrives, before it fills the disk. */
  maxPushBytes?: number;
}

const pkt = (s: string) => (s.length + 4).toString(16).padStart(4, '0') + s;

/** Git prints an `ERR` packet as "fatal: remote error: <msg>": the one way to show a reason before a push starts. */
function refuse(req: IncomingMessage, res: ServerResponse, message: string): void {
  const service = new URL(req.url ?? '/', 'http://x').searchParams.get('service');
  if (req.method === 'GET' && (service === 'git-receive-pack' || service === 'git-upload-pack')) {
    res.writeHead(200, { 'content-type': `application/x-${service}-advertisement`, 'cache-control': 'no-cache' });
    res.end(pkt(`# service=${service}\n`) + '0000' + pkt(`ERR ${message}\n`));
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end(message + '\n');
}

function basicPassword(req: IncomingMessage): string | null {
  const [scheme, value] = (req.headers.authorization ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'basic' || !value) return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? null : decoded.slice(i + 1);
}

export class GitServer {
  private readonly git: Git;

  constructor(private readonly o: GitServerOptions) {
    mkdirSync(o.reposDir, { recursive: true });
    this.git = new Git((dir?: string) => join(o.reposDir, dir ?? ''), { autoCreate: false });
  }

  repoDir(app: string): string {
    return join(this.o.reposDir, `${validateAppName(app)}.git`);
  }

  /** A bare repository whose pre-receive hook hands pushes to minicloud. */
  createRepo(app: string): void {
    const dir = this.repoDir(app);
    if (!existsSync(dir)) execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', dir]);
    this.installHook(app);
  }

  /** The hook and the push size limit, rewritten at every start (the settings may have changed). */
  installHook(app: string): void {
    const file = join(this.repoDir(app), 'hooks', 'pre-receive');
    writeFileSync(file, hookScript(process.execPath, this.o.hookConfigFile));
    chmodSync(file, 0o700);
    if (this.o.maxPushBytes) execFileSync('git', ['config', '--file', join(this.repoDir(app), 'config'), 'receive.maxInputSize', String(this.o.maxPushBytes)]);
  }

  /** Connect-style handler for requests under /git (the mount path already stripped). */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const m = /^\/([^/]+?)(?:\.git)?(\/.*)$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    if (!m) return refuse(req, res, 'not a git URL; use http://<host>/git/<app>.git');
    let app: string;
    try {
      app = validateAppName(decodeURIComponent(m[1]!));
    } catch (e) {
      return refuse(req, res, (e as UserError).message);
    }
    const password = basicPassword(req);
    if (password === null || !this.o.checkToken(password)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Basic realm="minicloud"' });
      res.end(password === null ? 'authentication required: use your minicloud token as the password\n' : 'invalid token\n');
      return;
    }
    if (!this.o.appExists(app) || !existsSync(this.repoDir(app))) {
      return refuse(req, res, `app ${app} does not exist; create it with \`minicloud apps:create ${app}\``);
    }
    const query = req.url?.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
    req.url = `/${app}.git${m[2]}${query}`;
    this.git.handle(req, res);
  };
}
