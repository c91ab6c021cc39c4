import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    // Ceilings, not expectations: a test waits on the event it needs (a push's exit, `until(what, …)`, which names
    // what it waited for), and a loaded machine may take minutes where an idle one takes seconds (on a fresh 2-core
    // machine the suite took 28 minutes). Only a test that hangs meets these.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
