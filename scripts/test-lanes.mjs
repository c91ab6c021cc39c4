// `npm test` runs the suite in lanes at once, each one test file at a time (a vitest run per lane, side by side):
// - docker: files whose minicloud (or runtime) runs apps on the suite's Docker engine, where what it makes is named
//   after the app (images `minicloud/<app>`, networks, containers): two such files at once could meet on a name.
// - swarm: files that form engines of their own (swarms of dockerds in network namespaces, the installer's engine),
//   which they only read images from the suite's engine to fill, and files making network namespaces.
// - host: the rest: minicloud on host processes, whose names are all its own (data dir, Redis prefix, Unix users,
//   cgroups and firewall tags per server; add-on servers started per test file, on free ports), so these files take
//   two lanes (scripts/test.mjs). The unit project runs before the lanes, alone; the browser tests (test/e2e, and any
//   other file that opens Chromium) after the docker and swarm lanes, whose interfaces coming and going make Chromium
//   drop requests.
// A file can say where it goes with a line `// test lane: docker` (or swarm, host).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const MARKED = /\/\/ test lane: (docker|swarm|host)\b/;
const OWN_ENGINES = /helpers\/swarm\.ts|helpers\/netns-engine\.ts|helpers\/netns\.ts/;
const SUITE_ENGINE = /MINICLOUD_RUNTIME: 'docker'|DockerRuntime/;

/** Which lane a test file's text puts it in. */
export function laneOf(text) {
  const marked = MARKED.exec(text);
  if (marked) return marked[1];
  if (OWN_ENGINES.test(text) && !text.includes('DockerRuntime')) return 'swarm';
  return /dockerHost\(/.test(text) || SUITE_ENGINE.test(text) ? 'docker' : 'host';
}

/** The integration, e2e and contract test files under `root`/test, relative to root, sorted. */
export function suiteFiles(root) {
  const out = [];
  const walk = (rel) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) { if (p !== 'test/unit') walk(p); } else if (e.name.endsWith('.test.ts')) out.push(p);
    }
  };
  walk('test');
  return out.sort();
}

/** Whether a test file drives Chromium: every file under test/e2e, and one elsewhere that opens a browser. */
export function usesBrowser(file, text) {
  return file.startsWith('test/e2e/') || /\bopenBrowser\(|playwright-core/.test(text);
}

/** { docker, swarm, host, browser }: the files of each lane (the browser files apart from the other three). */
export function lanes(root) {
  const out = { docker: [], swarm: [], host: [], browser: [] };
  for (const f of suiteFiles(root)) {
    const text = readFileSync(join(root, f), 'utf8');
    out[usesBrowser(f, text) ? 'browser' : laneOf(text)].push(f);
  }
  return out;
}
