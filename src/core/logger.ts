// The operator's log (what journald or `docker logs` keeps): one line per event, with a level and the part that speaks.
// Not the user's deploy log: that one is `say`, and goes to the person who pushed.
import { inspect } from 'node:util';
import { UserError } from './errors.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface Logger {
  debug(message: string, ...more: unknown[]): void;
  info(message: string, ...more: unknown[]): void;
  warn(message: string, ...more: unknown[]): void;
  error(message: string, ...more: unknown[]): void;
  /** The same log, its lines labelled `[label]`: one per part (formation, certs, queue, …). */
  child(label: string): Logger;
}

/** Where lines go: info and debug to standard output, warnings and errors to standard error. */
export interface LogSink { out(line: string): void; err(line: string): void }
const STDIO: LogSink = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') };

/** Strings as they are (an empty one left out); anything else (an Error: its stack) as Node prints it. */
const text = (parts: unknown[]) => parts.filter((p) => p !== '').map((p) => (typeof p === 'string' ? p : inspect(p))).join(' ');

export function createLogger(opts: { level?: LogLevel; label?: string; sink?: LogSink } = {}): Logger {
  const min = LOG_LEVELS.indexOf(opts.level ?? 'info');
  const sink = opts.sink ?? STDIO;
  const prefix = opts.label ? `[${opts.label}] ` : '';
  const at = (level: LogLevel) => (message: string, ...more: unknown[]) => {
    if (LOG_LEVELS.indexOf(level) < min) return;
    const line = prefix + text([message, ...more]);
    if (level === 'warn' || level === 'error') sink.err(line);
    else sink.out(line);
  };
  return {
    debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'),
    child: (label) => createLogger({ ...opts, label: opts.label ? `${opts.label}/${label}` : label }),
  };
}

/** MINICLOUD_LOG_LEVEL: one of the levels, info when unset. */
export function parseLogLevel(raw: string | undefined): LogLevel {
  if (raw === undefined || raw === '') return 'info';
  const level = raw.toLowerCase() as LogLevel;
  if (LOG_LEVELS.includes(level)) return level;
  throw new UserError(`MINICLOUD_LOG_LEVEL=${raw} is not a log level`, `use one of ${LOG_LEVELS.join(', ')}`);
}

/** Every line, whatever its level, handed to `push` (tests read what a part said). */
export function loggerTo(push: (line: string) => void, label?: string): Logger {
  return createLogger({ level: 'debug', label, sink: { out: push, err: push } });
}
