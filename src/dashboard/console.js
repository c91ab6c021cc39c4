// App page panel: an interactive console, `minicloud run <app> bash` in the browser: xterm.js (served by this server
// under /dashboard/vendor/) over the same websocket as the CLI's (GET /api/apps/:app/console, core/console.ts).
import { api, field, h, session } from './lib.js';

/** xterm.js is loaded the first time a console opens: the other tabs never pay for it. */
let xterm = null;
const loadXterm = () => (xterm ??= (async () => {
  const css = h('link', { rel: 'stylesheet', href: '/dashboard/vendor/xterm.css' });
  document.head.append(css);
  const [{ Terminal }, { FitAddon }] = await Promise.all([import('/dashboard/vendor/xterm.mjs'), import('/dashboard/vendor/addon-fit.mjs')]);
  return { Terminal, FitAddon };
})());

const socketUrl = (base) => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api${base}/console?csrf=${encodeURIComponent(session.csrf ?? '')}`;

export function consolePanel({ name, base }) {
  const command = field('console-command', 'Command', { value: 'bash', required: true, spellcheck: 'false', autocomplete: 'off', autocapitalize: 'off' });
  const connect = h('button', { type: 'submit', id: 'console-connect' }, 'Connect');
  const hangUp = h('button', { type: 'button', class: 'secondary', id: 'console-hangup', hidden: true }, 'Disconnect');
  const state = h('p', { class: 'help', id: 'console-state', 'aria-live': 'polite' }, 'Not connected.');
  const screen = h('div', { class: 'console', id: 'console-screen', hidden: true });
  const form = h('form', { class: 'row', id: 'console-form' }, command.el, connect, hangUp);
  const box = h('div', {}, form, state, screen);
  let term = null;
  let fit = null;
  let ws = null;
  let unsupported = false;

  // Docker Swarm runs no console (the API answers 409): the tab says so instead of offering a dead terminal.
  api('GET', '/status').then((s) => {
    if (s.runtime !== 'swarm') return;
    unsupported = true;
    box.replaceChildren(h('p', { class: 'help', id: 'console-unsupported' },
      'The Docker Swarm runtime has no interactive console: a one-off runs as its own service, without a terminal. ',
      'Run a command without one from the CLI: ', h('code', {}, `minicloud run --no-tty ${name} -- <command>`), '.'));
  }, () => {});

  const resized = () => {
    if (!term || screen.hidden) return;
    fit.fit(); // the terminal's onResize tells the server
  };
  new ResizeObserver(resized).observe(screen);

  const ended = (text) => {
    state.textContent = text;
    connect.textContent = 'Reconnect';
    connect.disabled = false;
    hangUp.hidden = true;
    ws = null;
  };

  const open = async () => {
    if (unsupported || ws) return;
    connect.disabled = true;
    state.textContent = 'Connecting…';
    const { Terminal, FitAddon } = await loadXterm();
    if (!term) {
      term = new Terminal({ cursorBlink: true, convertEol: false, fontSize: 14, scrollback: 5000 });
      fit = new FitAddon();
      term.loadAddon(fit);
      screen.hidden = false;
      term.open(screen);
      const encoder = new TextEncoder();
      term.onData((d) => { if (ws?.readyState === WebSocket.OPEN) ws.send(encoder.encode(d)); });
      term.onBinary((d) => { if (ws?.readyState === WebSocket.OPEN) ws.send(Uint8Array.from(d, (c) => c.charCodeAt(0) & 0xff)); });
      term.onResize(({ cols, rows }) => { if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'resize', cols, rows })); });
    } else {
      term.reset();
    }
    fit.fit();
    const socket = new WebSocket(socketUrl(base));
    socket.binaryType = 'arraybuffer';
    ws = socket;
    let result = null;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      socket.send(JSON.stringify({ type: 'start', command: command.input.value.trim() || 'bash', cols: term.cols, rows: term.rows, term: 'xterm-256color' }));
      state.textContent = `Connected: ${command.input.value.trim() || 'bash'} on ${name}.`;
      hangUp.hidden = false;
      term.focus();
    };
    socket.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return void term.write(new Uint8Array(ev.data));
      const m = JSON.parse(ev.data);
      if (m.type === 'exit') {
        result = m.reason === 'idle' ? `Closed after a long time without input or output (exited with ${m.code}).` : `The command exited with ${m.code}.`;
      } else if (m.type === 'error') {
        result = `Console error: ${m.error}${m.hint ? ` (${m.hint})` : ''}`;
      }
    };
    socket.onclose = () => {
      if (ws !== socket) return;
      ended(result ?? (opened
        ? 'The connection was lost.'
        : 'The server refused the console: your session may have ended, or you may not be allowed to run commands on this app.'));
    };
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    open().catch((e) => ended(`Could not open the console: ${e.message}`));
  });
  hangUp.addEventListener('click', () => { const s = ws; ended('Disconnected; the command was ended.'); s?.close(); });

  return {
    section: [
      h('h2', {}, 'Console'),
      h('p', { class: 'help' }, 'A command in a one-off instance of the current release, with its config and add-ons, in a terminal: ',
        'what ', h('code', {}, `minicloud run ${name} bash`), ' gives. It ends when you leave the page or disconnect.'),
      box,
    ],
    /** The tab came into view: the terminal takes its width now (a hidden element has none). */
    shown: () => requestAnimationFrame(resized),
    stop: () => { const s = ws; ws = null; s?.close(); },
  };
}
