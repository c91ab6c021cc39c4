// minicloud's server process, once main.ts has set V8 up: reads the settings, starts the parts (start.ts), stops them on SIGINT or SIGTERM.
import { createLogger, isUserError, type Logger } from '../core/index.ts';
import { loadConfig } from './config.ts';
import { Lifecycle } from './lifecycle.ts';
import { start } from './start.ts';

async function main(): Promise<void> {
  const cfg = loadConfig();
  const log = createLogger({ level: cfg.logLevel });
  const life = new Lifecycle(log.child('stop'));
  // A start that fails halfway stops what it had started (the private Redis, say) before saying why.
  await start(cfg, log, life).catch(async (e: unknown) => { await life.stopAll(); throw e; });
  const shutdown = async (signal: string) => {
    log.info(`${signal}: stopping minicloud (apps keep running and are picked up at the next start)`);
    await life.stopAll();
    process.exit(0);
  };
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => { if (!stopping) { stopping = true; void shutdown(signal); } });
}

/** A UserError as its message and hint; anything else with its stack. */
function fail(log: Logger, e: unknown): never {
  if (isUserError(e)) {
    log.error(` !     ${e.message}`);
    if (e.hint) log.error(` !     ${e.hint}`);
  } else {
    log.error('', e);
  }
  process.exit(1);
}

main().catch((e: unknown) => fail(createLogger(), e));
