// Parsing a Procfile: `type: command` lines.
import { UserError, excerpt, isProcessType } from '../core/index.ts';

// What `.` never matched in the old pattern: a command is one line.
const LINE_BREAK = /[\r\u2028\u2029]/;

export function parseProcfile(text: string): Record<string, string> {
  const processes: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    // Split by code: `\s*:\s*(.+)$` backtracked quadratically over a long run of spaces.
    const colon = line.indexOf(':');
    const type = line.slice(0, Math.max(colon, 0)).trimEnd();
    const command = line.slice(colon + 1).trim();
    if (colon < 0 || !isProcessType(type) || !command || LINE_BREAK.test(command)) {
      throw new UserError(`Procfile line ${i + 1} is not \`type: command\`: ${excerpt(line, 80)}`, 'e.g. `web: node server.js`');
    }
    processes[type] = command;
  });
  return processes;
}
