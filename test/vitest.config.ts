import { configDefaults, defineConfig } from 'vitest/config';

// Two projects, one run (`npm test` runs both; `npm run test:unit` the first alone):
// - unit: pure code, in-process only (no apt tool, Docker, shared server, nor real app processes: those tests are
//   integration tests). Worker threads sharing their module graph between files (isolate off): most of a unit file's
//   time was importing minicloud afresh in a new process. A unit file must therefore leave no state behind (timers,
//   process.env, listeners): each test restores what it changed.
// - the rest (test/integration, e2e, contract): one process per file, as each starts servers of its own. Its
//   globalSetup builds dist/ when stale: minicloud starts from it (test/helpers/minicloud.ts), as `npm start` does.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    // Ceilings, not expectations: a test waits on the event it needs (a push's exit, `until(what, …)`, which names
    // what it waited for), and a loaded machine may take minutes where an idle one takes seconds (on a fresh 2-core
    // machine the suite took 28 minutes). Only a test that hangs meets these.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // Set here, not in the project: vitest makes one pool of each kind with the top level's options. Only the unit
    // project runs in threads; forks keep isolating each file.
    poolOptions: { threads: { isolate: false } },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], pool: 'threads' } },
      { extends: true, test: { name: 'integration', globalSetup: ['test/global-setup.ts'], include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/unit/**'], pool: 'forks' } },
    ],
  },
});
