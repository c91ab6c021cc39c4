// What a repository's own Dockerfile may not do: have the Docker engine fetch a URL for it (ADD <url>).
import { UserError } from '../core/index.ts';

/**
 * `ADD http://…` is downloaded by the engine itself, on the host's own network: it would reach the host's
 * loopback and private ports and the cloud metadata address, past anything that fences the build's
 * containers. A `RUN curl`/`wget` runs inside the build container instead, on the build's network.
 */
export function checkDockerfile(text: string): void {
  // Continuation lines joined (a backslash, or a backtick under `# escape=`), then one instruction per line.
  const lines = text.replace(/[\\`][ \t]*\r?\n/g, ' ').split(/\r?\n/);
  for (const line of lines) {
    const m = /^\s*ADD\s+(.*)$/i.exec(line);
    if (!m || !/(^|[\s["'])(https?|ftp):\/\//i.test(m[1]!)) continue;
    throw new UserError('the Dockerfile has `ADD <url>`, which the Docker engine fetches from the host itself (its loopback and private network included)',
      'download it in a `RUN curl -fsSLo <file> <url>` (or wget) step instead, which runs inside the build container');
  }
}
