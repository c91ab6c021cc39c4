// Parsing a Procfile: `type: command` lines.
import { UserError, excerpt, isProcessType } from '../core/index.ts';

export function parseProcfile(text: string): Record<string, string> {
  const processes: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^([^:\s]+)\s*:\s*(.+)$/.exec(line);
    if (!m || !isProcessType(m[1]!)) {
      throw new UserError(`Procfile line ${i + 1} is not \`type: command\`: ${excerpt(line, 80)}`, 'e.g. `web: node server.js`');
    }
    processes[m[1]!] = m[2]!.trim();
  });
  return processes;
}
