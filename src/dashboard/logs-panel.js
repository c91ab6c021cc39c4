// App page panel: the app's output, router and deploy logs merged in time order, streamed live
// (GET /api/apps/:app/logs?source=...&follow=1, the same stream as `minicloud logs <app> -f`).
import { appendLog, h, streamNdjson } from './lib.js';

const SOURCES = ['app', 'router', 'build', 'release'];
const KEEP = 2000; // lines kept in the page

/** `10:00:00 app[web.1]: listening`; `~` marks a time minicloud estimated (the line carried none). */
const lineText = (e) => `${e.estimated ? '~' : ''}${new Date(e.time).toLocaleTimeString([], { hour12: false })} ${e.source}${e.process ? `[${e.process}]` : ''}: ${e.text}`;

export function logsPanel({ base, isStopped }) {
  const box = h('pre', { class: 'log', id: 'app-logs', role: 'log', tabindex: '0', 'aria-labelledby': 'logs-title', 'aria-live': 'off' });
  const state = h('p', { class: 'help', id: 'logs-state', 'aria-live': 'polite' });
  const boxes = SOURCES.map((s) => h('input', { type: 'checkbox', id: `logs-${s}`, value: s, checked: true }));
  const picker = h('fieldset', { class: 'sources' }, h('legend', {}, 'Sources'),
    ...boxes.map((b, i) => h('span', { class: 'check' }, b, h('label', { for: b.id }, SOURCES[i]))));
  let ctl = null;
  let retry = null;

  const start = () => {
    ctl?.abort();
    clearTimeout(retry);
    if (isStopped()) return;
    const sources = boxes.filter((b) => b.checked).map((b) => b.value);
    box.replaceChildren();
    if (sources.length === 0) return void (state.textContent = 'Pick at least one source.');
    const mine = new AbortController();
    ctl = mine;
    state.textContent = 'Following…';
    streamNdjson(`${base}/logs?source=${sources.join(',')}&lines=200&follow=1`, mine.signal, (e) => {
      if (e.type !== 'line') return;
      appendLog(box, lineText(e), `src-${e.source}`);
      while (box.childNodes.length > KEEP * 2) box.firstChild.remove(); // a line is a span and its newline
    }).then(
      () => { if (ctl === mine && !isStopped()) reconnect('The log stream ended'); },
      (err) => { if (!mine.signal.aborted) reconnect(`The log stream broke (${err.message})`); },
    );
  };
  const reconnect = (why) => {
    state.textContent = `${why}; reconnecting…`;
    retry = setTimeout(start, 2000);
  };
  for (const b of boxes) b.addEventListener('change', start);

  return {
    section: [
      h('h2', { id: 'logs-title' }, 'Logs'),
      h('p', { class: 'help' }, 'The app\u2019s output, the router\u2019s access log and deploy logs, merged in time order as they happen. '
        + 'A time marked ~ is when minicloud read the line: the app printed no time of its own.'),
      picker, state, box,
    ],
    start,
    stop: () => { ctl?.abort(); clearTimeout(retry); },
  };
}
