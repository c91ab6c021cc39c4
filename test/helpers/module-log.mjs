// `node --import <this file>`: every module the process loads (minicloud's own files, and each package's files,
// imported or required) is appended, one path or URL a line, to $MODULE_LOG_DIR/<pid>.log. Tests read it to see what
// a process loaded, and when. On SIGUSR2 it writes V8's heap spaces (name -> bytes) to $MODULE_LOG_DIR/<pid>.heap.json.
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { getHeapSpaceStatistics } from 'node:v8';

const dir = process.env.MODULE_LOG_DIR;
if (dir) {
  const file = `${dir}/${process.pid}.log`;
  // ES modules, through a loader hook (it runs on the loader's own thread: the same pid).
  register(`data:text/javascript,${encodeURIComponent(`
    import { appendFileSync } from 'node:fs';
    export async function load(url, context, next) {
      appendFileSync(${JSON.stringify(file)}, url + '\\n');
      return next(url, context);
    }`)}`);
  // CommonJS files, as each is compiled (a require from inside a package, or createRequire, never meets the hook).
  const extensions = /** @type {Record<string, (m: unknown, filename: string) => void>} */ (Module._extensions);
  const js = extensions['.js'];
  extensions['.js'] = function (m, filename) {
    appendFileSync(file, `${filename}\n`);
    return js.call(this, m, filename);
  };
  process.on('SIGUSR2', () => {
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((sp) => [sp.space_name, sp.space_size]));
    writeFileSync(`${dir}/${process.pid}.heap.json.tmp`, JSON.stringify(spaces));
    renameSync(`${dir}/${process.pid}.heap.json.tmp`, `${dir}/${process.pid}.heap.json`); // whole, for a reader waiting on it
  });
}
