// minicloud's side of the Distribution registry's HTTP API (v2), over TLS with minicloud's CA: the repositories, an
// app's tags and the digest each names, and manifest deletion. Only minicloud's own namespace (`minicloud/<app>`,
// tags `v<version>` and `v<version>-<type>`) is ever put into a URL: anything else the registry lists is left alone.
import { request } from 'node:https';

/** `minicloud/<app>`: the only repositories minicloud reads or deletes from. */
export const OWN_REPOSITORY = /^minicloud\/[a-z0-9][a-z0-9-]{0,62}$/;
/** A release's tag, or a Compose service's beside it. */
export const OWN_TAG = /^v\d{1,9}(-[A-Za-z0-9_.-]{1,100})?$/;

const MANIFESTS = [
  'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json',
].join(', ');

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

export class RegistryApi {
  constructor(private readonly o: { host: string; user: string; password: string; caPem: string }) {}

  private call(method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
    const [hostname, port] = [this.o.host.slice(0, this.o.host.lastIndexOf(':')), Number(this.o.host.slice(this.o.host.lastIndexOf(':') + 1))];
    const auth = Buffer.from(`${this.o.user}:${this.o.password}`).toString('base64');
    return new Promise((resolve, reject) => {
      const req = request({ hostname, port, path, method, ca: this.o.caPem, headers: { authorization: `Basic ${auth}`, ...headers }, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`the registry at ${this.o.host} did not answer ${method} ${path} within 30 s`)));
      req.on('error', reject);
      req.end();
    });
  }

  private async json<T>(path: string): Promise<T | null> {
    const a = await this.call('GET', path);
    if (a.status === 404) return null;
    if (a.status !== 200) throw new Error(`the registry answered ${a.status} to GET ${path}: ${a.body.slice(0, 200)}`);
    return JSON.parse(a.body) as T;
  }

  /** Whether the registry answers and takes minicloud's credentials. */
  async ping(): Promise<boolean> {
    return (await this.call('GET', '/v2/')).status === 200;
  }

  /** minicloud's repositories (`minicloud/<app>`), every page. */
  async repositories(): Promise<string[]> {
    const out: string[] = [];
    for (let last = ''; ;) {
      const page = await this.json<{ repositories?: string[] | null }>(`/v2/_catalog?n=1000${last && `&last=${encodeURIComponent(last)}`}`);
      const repos = page?.repositories ?? [];
      out.push(...repos.filter((r) => OWN_REPOSITORY.test(r)));
      if (repos.length < 1000) return out;
      last = repos[repos.length - 1]!;
    }
  }

  /** The repository's tags minicloud makes (none when the repository has none left). */
  async tags(repository: string): Promise<string[]> {
    own(repository);
    const t = await this.json<{ tags?: string[] | null }>(`/v2/${repository}/tags/list`);
    return (t?.tags ?? []).filter((x) => OWN_TAG.test(x));
  }

  /** The digest of the manifest a tag names, as the registry stores it (null: no such tag). */
  async digest(repository: string, tag: string): Promise<string | null> {
    own(repository, tag);
    const a = await this.call('HEAD', `/v2/${repository}/manifests/${tag}`, { accept: MANIFESTS });
    if (a.status === 404) return null;
    const d = a.headers['docker-content-digest'];
    if (a.status !== 200 || typeof d !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d)) throw new Error(`the registry answered ${a.status} to HEAD ${repository}:${tag}`);
    return d;
  }

  /** Deletes a manifest (and with it every tag naming it); its layers stay until the garbage collection. */
  async deleteManifest(repository: string, digest: string): Promise<void> {
    own(repository);
    if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new Error(`not a digest: ${digest}`);
    const a = await this.call('DELETE', `/v2/${repository}/manifests/${digest}`);
    if (a.status !== 202 && a.status !== 404) throw new Error(`the registry answered ${a.status} to deleting ${repository}@${digest}: ${a.body.slice(0, 200)}`);
  }
}

function own(repository: string, tag?: string): void {
  if (!OWN_REPOSITORY.test(repository) || (tag !== undefined && !OWN_TAG.test(tag))) {
    throw new Error(`refusing a registry path outside minicloud's namespace: ${JSON.stringify(tag === undefined ? repository : `${repository}:${tag}`)}`);
  }
}
