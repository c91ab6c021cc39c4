// A pushed tree's Compose file: at its root, read without following links, its env_files too (inside the tree only).
import { UserError, type ComposePlan } from '../core/index.ts';
import { COMPOSE_FILES, COMPOSE_LIMIT, ENV_FILE_LIMIT, parseCompose } from './compose.ts';
import { readTreeFile, treeHas } from './tree-file.ts';

/**
 * An env_file at the tree's root (the Docker builder unpacks the root only, the rest streams from the archive): null
 * when missing, a link refused by readTreeFile.
 */
function treeEnvFile(root: string, rel: string): string | null {
  if (rel.includes('/')) {
    throw new UserError(`env_file ${rel}: in a pushed repository minicloud reads env files at its root only`, `move it to the root (e.g. ${rel.split('/').pop()}) and name it so in the Compose file`);
  }
  return readTreeFile(root, rel, { limit: ENV_FILE_LIMIT + 1 });
}

/**
 * The plan of the tree's Compose file when it has one and no Dockerfile at its root (a Dockerfile wins: the Compose
 * file is then the developer's local set-up); null otherwise. `built` stands for the services' `build: .`.
 */
export function treeCompose(root: string, built: string): { file: string; plan: ComposePlan } | null {
  if (treeHas(root, 'Dockerfile')) return null;
  const found = COMPOSE_FILES.filter((f) => treeHas(root, f));
  if (!found.length) return null;
  if (found.length > 1) throw new UserError(`the repository has ${found.join(' and ')}; minicloud reads one Compose file`, `keep one of them (git rm ${found[1]})`);
  const file = found[0]!;
  const text = readTreeFile(root, file, { limit: COMPOSE_LIMIT })!;
  return { file, plan: parseCompose(text, (rel) => treeEnvFile(root, rel), { file, builtImage: built }) };
}
