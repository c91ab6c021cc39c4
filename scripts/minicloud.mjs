#!/usr/bin/env node
// Launcher for the minicloud CLI (the package `bin`): loads the TypeScript sources through tsx and runs main().
import { register } from 'tsx/esm/api';

register();

// `minicloud logs app | head` closes stdout early; that is the reader's choice, not a crash.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
