// Where minicloud's checkout is, and how to run one of its entry points, from the sources (src/, proxy/: under tsx or
// vitest) or from their build (dist/src/, dist/proxy/: plain node, as `npm start` runs it; scripts/build.mjs makes it).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(import.meta.url);
/** Whether this code runs from dist/ (the compiled build). */
export const COMPILED = HERE.endsWith('.js');
/** The checkout's root: package.json, buildpacks/, catalog/, scripts/ and the sources live there. */
export const CHECKOUT = resolve(dirname(HERE), COMPILED ? '../../..' : '../..');

/**
 * How to start `source` (a path in the checkout, 'proxy/daemon/main.ts') in a process of its own: its build with plain
 * node when this process runs the build, else the source through tsx (the tests' in-process parts).
 */
export function entryPoint(source: string): { file: string; execArgv: string[] } {
  if (COMPILED) return { file: join(CHECKOUT, 'dist', source.replace(/\.ts$/, '.js')), execArgv: [] };
  return { file: join(CHECKOUT, source), execArgv: ['--import', 'tsx'] };
}
