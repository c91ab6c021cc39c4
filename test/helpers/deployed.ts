// Test helper: an app created with the CLI and its fixture pushed once, so a test case starts from a live v1 of its own
// instead of from what the cases before it left behind.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitAll, fixtureRepo, push, type PushResult } from './git.ts';
import type { Minicloud } from './minicloud.ts';

export interface Deployed {
  app: string;
  /** The fixture's git repository (main, one commit: the one deployed). */
  repo: string;
  /** The first push, as git printed it. */
  first: PushResult;
}

export async function deployedFixture(mc: Minicloud, app: string, fixture = 'node-hello'): Promise<Deployed> {
  const created = await mc.cli('apps:create', app);
  if (created.code !== 0) throw new Error(`apps:create ${app} failed:\n${created.stdout}${created.stderr}`);
  const repo = fixtureRepo(fixture);
  const first = await push(repo, mc.gitUrl(app));
  if (first.code !== 0) throw new Error(`the first push of ${app} (${fixture}) failed:\n${first.output}`);
  return { app, repo, first };
}

/** node-hello answers `{ version }`: sets it in server.js and commits, for a push that makes a new release. */
export function commitVersion(repo: string, version: string): string {
  const file = join(repo, 'server.js');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/const VERSION = '[^']*'/, `const VERSION = '${version}'`));
  return commitAll(repo, version);
}
