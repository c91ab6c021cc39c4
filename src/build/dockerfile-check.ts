// What a repository's own Dockerfile may not do: have the Docker engine fetch a URL for it (ADD <url>).
import { UserError } from '../core/index.ts';

/**
 * `ADD http://…` is downloaded by the engine itself, on the host's own network: it would reach the host's
 * loopback and private ports and the cloud metadata address, past anything that fences the build's
 * containers. A `RUN curl`/`wget` runs inside the build container instead, on the build's network.
 */
export function checkDockerfile(text: string): void {
  for (const line of instructions(text)) {
    // Read by code: `^\s*ADD\s+(.*)$` backtracked quadratically over a run of spaces before a stray CR.
    const s = line.trimStart();
    if (s.slice(0, 3).toUpperCase() !== 'ADD' || !/^\s/.test(s.slice(3, 4))) continue;
    if (!/(^|[\s["'])(https?|ftp):\/\//i.test(s.slice(4))) continue;
    throw new UserError('the Dockerfile has `ADD <url>`, which the Docker engine fetches from the host itself (its loopback and private network included)',
      'download it in a `RUN curl -fsSLo <file> <url>` (or wget) step instead, which runs inside the build container');
  }
}

/** One string per instruction: continuation lines (a backslash, or a backtick under `# escape=`) joined with a space. */
function instructions(text: string): string[] {
  const out: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const bare = line.trimEnd();
    if (bare.endsWith('\\') || bare.endsWith('`')) {
      pending += `${bare.slice(0, -1)} `;
      continue;
    }
    out.push(pending + line);
    pending = '';
  }
  if (pending) out.push(pending);
  return out;
}
