// The host builder: runs the plan's install and build steps in the release directory itself.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, baseEnv, type Artifact } from '../core/index.ts';
import type { BuildRequest, Builder } from './builder.ts';
import { readManifest } from './manifest.ts';
import { runStep } from './run-step.ts';

export interface HostBuilderOptions {
  /** Per-app caches (npm's and the like) live under here, reused by the next build. */
  cacheDir: string;
  stepTimeoutMs: number;
  /** An extra CA bundle for builds behind a TLS-inspecting proxy (MINICLOUD_BUILD_CA_BUNDLE). */
  caBundle?: string;
}

export class HostBuilder implements Builder {
  readonly name = 'host';

  constructor(private readonly opts: HostBuilderOptions) {}

  async build(req: BuildRequest): Promise<Artifact> {
    const manifest = req.manifest ?? readManifest(req.sourceDir);
    const { healthcheck } = manifest;
    const cache = join(this.opts.cacheDir, req.app);
    mkdirSync(cache, { recursive: true });
    const planEnv = Object.fromEntries(Object.entries(req.plan.env).map(([k, v]) => [k, v.replaceAll('{cache}', cache)]));
    const env = baseEnv({
      ...req.config,
      ...planEnv,
      NODE_EXTRA_CA_CERTS: this.opts.caBundle ?? process.env.NODE_EXTRA_CA_CERTS,
      CI: 'true',
    });
    for (const command of [...req.plan.install, ...req.plan.build]) {
      req.log(`-----> Running ${command}`);
      const code = await runStep(command, {
        cwd: req.sourceDir,
        env,
        timeoutMs: this.opts.stepTimeoutMs,
        onLine: (l) => req.log(`       ${l}`),
      });
      if (code !== 0) {
        throw new UserError(`\`${command}\` failed with exit code ${code}`, 'fix the error above, commit, and push again');
      }
    }
    return { kind: 'dir', ref: req.sourceDir, buildpack: req.plan.buildpack, processes: req.plan.processes, ...(healthcheck && { healthcheck }), manifest };
  }
}
