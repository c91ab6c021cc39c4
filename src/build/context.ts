// The Docker build context, streamed: the pushed commit's tar re-packed entry by entry, minus .dockerignore, plus .minicloud/ files.
import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import dockerignore from '@balena/dockerignore';
import * as tar from 'tar-stream';
import type { BuildPlan } from '../core/index.ts';
import { carriesNoFile, entryName, entryProblem } from './archive.ts';
import { globMatch } from './glob.ts';
import { DETECT_LIMIT, readTreeFile } from './tree-file.ts';

export interface ContextOptions {
  /** The pushed commit as a tar archive (git archive or a GitHub tarball). */
  sourceTar: string;
  /** Contents of the repository's .dockerignore, if it has one. */
  dockerignore: string | null;
  /** Files added under `.minicloud/` (name → content); they win over the repository's own. */
  extra: Record<string, Buffer | string>;
}


/**
 * A readable tar stream of the context. Nothing of the tree is written to disk: each entry goes
 * from the archive straight into the stream the engine reads.
 */
export function buildContext(o: ContextOptions): Readable {
  // CommonJS: the factory is the module itself (with a `default` alias that the types describe).
  const ignore = dockerignore as unknown as typeof dockerignore & { default?: typeof dockerignore };
  const ig = (typeof ignore === 'function' ? ignore : ignore.default!)().add(o.dockerignore ?? '');
  // Its rules as parsed, matched by glob.ts instead of the RegExp it would build from each pushed pattern.
  const internals = ig as unknown as { _match: (file: string, rule: { pattern: string }) => boolean; _cache: object };
  internals._match = (file, rule) => globMatch(rule.pattern, file);
  internals._cache = Object.create(null) as object; // its plain-object cache "held" a file named `constructor` already
  const pack = tar.pack();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    // The pipeline checked the archive already (checkSourceArchive); an entry that would not pass is a bug to stop on.
    const problem = entryProblem(header);
    if (problem) return extract.destroy(problem);
    const name = entryName(header.name);
    const skip = !name || carriesNoFile(header) || name === '.minicloud' || name.startsWith('.minicloud/') || ig.ignores(name);
    if (skip) {
      stream.on('end', next);
      stream.resume();
      return;
    }
    const entry = pack.entry({ ...header, name }, (err) => (err ? extract.destroy(err) : next()));
    stream.pipe(entry);
  });
  extract.on('finish', () => {
    for (const [name, content] of Object.entries(o.extra)) pack.entry({ name: `.minicloud/${name}`, mode: 0o644 }, content);
    pack.finalize();
  });
  extract.on('error', (e) => pack.destroy(e));
  createReadStream(o.sourceTar).on('error', (e) => pack.destroy(e)).pipe(extract);
  return pack as unknown as Readable;
}

/**
 * The files beside the plan's buildpack Dockerfile (its support files, the Dockerfile and buildpack.json aside), by
 * name, for `<app>/.minicloud/`: none for the repository's own Dockerfile or a plan with no buildpack behind it.
 */
export function supportFiles(plan: BuildPlan): Record<string, Buffer> {
  if (!plan.dockerfile) return {};
  const dir = dirname(plan.dockerfile);
  const files: Record<string, Buffer> = {};
  if (!existsSync(dir)) return files;
  for (const name of readdirSync(dir)) {
    if (name === 'buildpack.json' || name === basename(plan.dockerfile) || !statSync(join(dir, name)).isFile()) continue;
    files[name] = readFileSync(join(dir, name));
  }
  return files;
}

export function readDockerignore(sourceDir: string): string | null {
  // Every pattern is tried against every path of the tree: 64 KiB of them is far more than any real one holds.
  return readTreeFile(sourceDir, '.dockerignore', { limit: DETECT_LIMIT });
}
