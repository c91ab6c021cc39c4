// One deploy's whole log (`#/apps/<app>/deploys/<id>`): the page a failed deploy's alert links to.
import { $, appendLog, enc, h, streamNdjson, view } from './lib.js';
import { heading } from './apps.js';

export function deployLogPage(app, id) {
  const state = h('p', { id: 'deploy-state', class: 'help', 'aria-live': 'polite' }, 'Loading…');
  const log = h('pre', { class: 'log', id: 'deploy-log', role: 'log', tabindex: '0', 'aria-label': `Log of deploy ${id}` });
  $('#view').replaceChildren(
    h('p', {}, h('a', { href: `#/apps/${app}` }, `\u2190 ${app}`)),
    heading(`${app}: deploy ${id}`),
    state, log,
  );
  const ctl = new AbortController();
  view.stop = () => ctl.abort();
  streamNdjson(`/apps/${enc(app)}/deploys/${enc(id)}/log?follow=1`, ctl.signal, (e) => {
    if (e.type === 'line') appendLog(log, e.text);
    else if (e.type === 'end') state.textContent = e.status === 'succeeded' ? `Succeeded${e.release ? `: v${e.release}` : ''}.` : `Failed${e.error ? `: ${e.error}` : ''}.`;
  }).then(() => {
    if (state.textContent === 'Loading…') state.textContent = 'The whole log.';
  }, (e) => {
    if (!ctl.signal.aborted) state.textContent = `Could not load the log: ${e.message}`;
  });
}
