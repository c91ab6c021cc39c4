// The registry minicloud runs for a swarm when MINICLOUD_SWARM_REGISTRY is unset: on the manager's private address,
// TLS with minicloud's CA, htpasswd auth with a generated password. Pushes (builds, image deploys) take it shared;
// the garbage collection takes it alone: manifests no kept release names are deleted through the API, then the
// registry runs read-only while `docker-registry garbage-collect` removes the layers nothing names any more (as the
// Distribution docs require: no upload may land meanwhile). Pulls go on throughout but for two brief restarts.
import { execFile } from 'node:child_process';
import type { Logger } from '../core/index.ts';
import { RegistryApi } from './registry-api.ts';
import { REGISTRY_USER, registryFiles, type RegistryFiles } from './registry-files.ts';
import { RegistryProcess } from './registry-process.ts';

export interface OwnRegistryOptions {
  dir: string;
  /** This server's address on the swarm's private network: where every node reaches the registry. */
  ip: string;
  port: number;
  log: Logger;
  binary?: string;
}

export interface Collected {
  /** Manifests deleted (tags no kept release names, and every tag of an app that is gone). */
  manifests: number;
  /** Bytes the registry's storage shrank by. */
  freed: number;
  storage: string;
}

const run = (cmd: string, args: string[]) => new Promise<string>((resolve, reject) => {
  execFile(cmd, args, { timeout: 60 * 60_000, maxBuffer: 64 << 20 }, (e, out, err) => (e ? reject(new Error(`${cmd} ${args[0]}: ${err.trim().split('\n').slice(-3).join(' | ') || e.message}`)) : resolve(out)));
});

export class OwnRegistry {
  private pushes = 0;
  private gate: Promise<void> | null = null;
  private idle: (() => void) | null = null;

  private constructor(private readonly files: RegistryFiles, private readonly api: RegistryApi, private readonly proc: RegistryProcess, private readonly log: Logger, private readonly binary: string) {}

  static async start(o: OwnRegistryOptions): Promise<OwnRegistry> {
    const files = await registryFiles(o.dir, o.ip, o.port);
    const api = new RegistryApi({ host: files.host, user: REGISTRY_USER, password: files.password, caPem: files.caPem });
    const binary = o.binary ?? 'docker-registry';
    const proc = new RegistryProcess(files, () => api.ping(), o.log, binary);
    await proc.start();
    o.log.info(`started the swarm's registry on ${files.host} (TLS, minicloud's CA; data in ${files.storage})`);
    return new OwnRegistry(files, api, proc, o.log, binary);
  }

  get host(): string { return this.files.host; }
  get caPem(): string { return this.files.caPem; }
  /** The credentials pushes and every node's pulls use (sent as the engine's registry-auth header only). */
  get auth() { return { username: REGISTRY_USER, password: this.files.password, serveraddress: this.files.host }; }

  stop(): Promise<void> {
    return this.proc.stop();
  }

  /** Runs `fn` (a push, a manifest deletion) while no garbage collection runs; many may run at once. */
  async shared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.gate) await this.gate;
    this.pushes++;
    try {
      return await fn();
    } finally {
      if (--this.pushes === 0) this.idle?.();
    }
  }

  private async alone<T>(fn: () => Promise<T>): Promise<T> {
    while (this.gate) await this.gate;
    let open!: () => void;
    this.gate = new Promise<void>((r) => { open = r; });
    try {
      if (this.pushes > 0) await new Promise<void>((r) => { this.idle = r; });
      return await fn();
    } finally {
      this.idle = null;
      this.gate = null;
      open();
    }
  }

  /** Deletes the app's manifests whose tags `keep` refuses, unless a kept tag names the same manifest. */
  forget(app: string, keep: (tag: string) => boolean): Promise<number> {
    return this.shared(() => this.forgetNow(`minicloud/${app}`, keep));
  }

  private async forgetNow(repository: string, keep: (tag: string) => boolean): Promise<number> {
    const tags = await this.api.tags(repository);
    const digests = new Map<string, string>();
    for (const t of tags) {
      const d = await this.api.digest(repository, t);
      if (d) digests.set(t, d);
    }
    const kept = new Set([...digests].filter(([t]) => keep(t)).map(([, d]) => d));
    const doomed = new Set([...digests.values()].filter((d) => !kept.has(d)));
    for (const d of doomed) await this.api.deleteManifest(repository, d);
    return doomed.size;
  }

  /**
   * The garbage collection: every repository of an app not in `apps` emptied, then the layers no manifest names
   * removed with the registry read-only. The apps' own old tags went as their releases were pruned (`forget`).
   */
  collect(apps: string[]): Promise<Collected> {
    return this.alone(async () => {
      const live = new Set(apps.map((a) => `minicloud/${a}`));
      let manifests = 0;
      for (const repo of await this.api.repositories()) if (!live.has(repo)) manifests += await this.forgetNow(repo, () => false);
      const before = await this.bytes();
      await this.proc.stop();
      try {
        await this.proc.start(true);
        const out = await run(this.binary, ['garbage-collect', '--delete-untagged', this.files.config(true)]);
        const summary = out.trim().split('\n').filter((l) => /eligible for deletion/.test(l)).pop();
        if (summary) this.log.info(`registry garbage collection: ${summary.trim()}`);
      } finally {
        await this.proc.stop();
        await this.proc.start(false);
      }
      return { manifests, freed: Math.max(0, before - (await this.bytes())), storage: this.files.storage };
    });
  }

  private async bytes(): Promise<number> {
    const out = await run('du', ['-sb', this.files.storage]).catch(() => '0');
    return Number(out.split(/\s/)[0]) || 0;
  }
}
