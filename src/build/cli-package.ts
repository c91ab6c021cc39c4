// Building the CLI as an npm package a laptop installs from its own server (GET /cli.tgz): src/cli bundled by esbuild into one
// plain-JavaScript file, so `npm install -g https://admin.<domain>/cli.tgz` needs Node 20 and nothing else.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { CHECKOUT } from '../core/index.ts';

// The CLI's sources, read from the checkout also when minicloud runs from its build (dist/).
const ROOT = CHECKOUT;

/** The bundle's entry: the launcher's job (scripts/minicloud.mjs), with git's credential helper pointed at itself. */
const ENTRY = `
import { fileURLToPath } from 'node:url';
import { main } from './src/cli/main.ts';
import { useLauncher } from './src/cli/kit/git.ts';

useLauncher(fileURLToPath(import.meta.url));
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
process.exitCode = await main(process.argv.slice(2));
`;

export async function bundleCli(): Promise<string> {
  // Loaded when first asked for, its helper process stopped once done: minicloud keeps no esbuild process resident.
  const esbuild = await import('esbuild');
  try {
    return await bundle(esbuild.build);
  } finally {
    await esbuild.stop();
  }
}

async function bundle(build: typeof import('esbuild').build): Promise<string> {
  const out = await build({
    stdin: { contents: ENTRY, resolveDir: ROOT, sourcefile: 'minicloud-cli.ts', loader: 'ts' },
    bundle: true, platform: 'node', format: 'esm', target: 'node20', write: false, logLevel: 'silent',
    // A `require` for the CommonJS packages inside (ws): esbuild's ESM output has none, and throws "Dynamic require of
    // \"events\" is not supported" at their first require of a built-in module.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __minicloudRequire } from 'node:module';\nconst require = __minicloudRequire(import.meta.url);" },
    legalComments: 'none',
  });
  return out.outputFiles[0]!.text;
}

/** An npm package tarball (entries under `package/`, gzipped): package.json and the bundled CLI. */
export async function cliTarball(): Promise<Buffer> {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const manifest = {
    name: 'minicloud-cli', version, description: 'The minicloud CLI, as served by a minicloud server', type: 'module',
    bin: { minicloud: 'minicloud.mjs' }, engines: { node: '>=20' }, license: 'MIT',
  };
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => { tar.on('end', resolve); tar.on('error', reject); });
  const mtime = new Date(0);
  tar.entry({ name: 'package/package.json', mode: 0o644, mtime }, JSON.stringify(manifest, null, 2) + '\n');
  tar.entry({ name: 'package/minicloud.mjs', mode: 0o755, mtime }, await bundleCli());
  tar.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}
