// `logs <app>`: the app's output, the router's access log and its deploys' logs, merged with times and sources.
import { LOG_SOURCES, UserError, type LogEvent, type MergedLogEvent } from '../../core/index.ts';
import { appPath, flag, type Command } from '../kit/command.ts';

const NOTE = [
  'Without --build or --router, the app\'s output (app), the router\'s access log (router), build logs (build)',
  'and other deploys\' logs (release: restarts, rollbacks, config changes) come merged, one line each:',
  '  2026-11-25T10:00:00Z router: GET shop.example.com / 200 512 3 7f3c...   (method host path status bytes ms request-id)',
  '  2026-11-25T10:00:01Z app[worker.1]: sent 3 mails   (the instance that printed it)',
  'A time with ~ in front is minicloud\'s estimate: the line carried no time of its own, so it shows when',
  'minicloud read it (while following, within a quarter second; for older lines, the last change of the log file).',
  `--source picks some of ${LOG_SOURCES.join(', ')} (comma-separated). -n is the number of latest lines of them`,
  'all together (default 100); -f then follows. --build or --router alone print that log bare (--build -f ends with the build).',
].join('\n');

/** `2026-11-25T10:00:00Z app[web.1]: listening`; a `~` before the time says minicloud estimated it. */
export function formatLine(e: Extract<MergedLogEvent, { type: 'line' }>): string {
  const time = e.time.replace(/\.\d+Z$/, 'Z');
  return `${e.estimated ? '~' : ''}${time} ${e.source}${e.process ? `[${e.process}]` : ''}: ${e.text}`;
}

const logs: Command = {
  name: 'logs',
  usage: '<app> [--source S,...|--build|--router] [-f] [-n N]',
  summary: "show an app's output, router and deploy logs merged with times; --build or --router for one of them alone",
  app: true,
  help: NOTE,
  options: {
    build: { type: 'boolean' },
    router: { type: 'boolean' },
    source: { type: 'string', short: 's' },
    follow: { type: 'boolean', short: 'f' },
    lines: { type: 'string', short: 'n' },
  },
  async run(ctx, args) {
    const query = new URLSearchParams();
    const source = flag(args, 'source');
    const picked = [args.flags.build && '--build', args.flags.router && '--router', source !== undefined && '--source'].filter(Boolean);
    if (picked.length > 1) throw new UserError(`${picked.join(' and ')} do not go together`, 'pick one');
    if (args.flags.build) query.set('build', '1');
    else if (args.flags.router) query.set('router', '1');
    else query.set('source', checkSources(source));
    const lines = flag(args, 'lines');
    if (lines !== undefined) {
      if (!/^\d+$/.test(lines)) throw new UserError(`--lines must be a whole number, got ${JSON.stringify(lines)}`);
      query.set('lines', lines);
    }
    if (args.flags.follow) query.set('follow', '1');
    const stream = ctx.client().stream<LogEvent | MergedLogEvent>(appPath(args.app, `/logs?${query}`));
    for await (const event of stream) {
      if (event.type === 'line') {
        const text = 'source' in event ? formatLine(event) : event.text;
        ctx.out(text, text.endsWith('\n') ? '' : '\n');
      } else if (event.type === 'end') {
        if (event.status === 'failed') {
          ctx.warn(`build failed${event.error ? `: ${event.error}` : ''}`);
          return 1;
        }
        // The build's own log lines already announce the release; nothing to add on success.
        return 0;
      }
    }
    return 0;
  },
};

/** The `--source` list as sent (every source when not given), refusing unknown names before any request. */
function checkSources(raw: string | undefined): string {
  if (raw === undefined) return LOG_SOURCES.join(',');
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.find((s) => !(LOG_SOURCES as readonly string[]).includes(s));
  if (bad !== undefined || list.length === 0) {
    throw new UserError(`unknown log source ${JSON.stringify(bad ?? raw)}`, `use any of ${LOG_SOURCES.join(', ')}, comma-separated`);
  }
  return list.join(',');
}

export const logsCommands: Command[] = [logs];
