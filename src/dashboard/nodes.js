// The Nodes page (`#/nodes`): a swarm's servers, as `minicloud nodes` lists them (name, address, role, state,
// availability, memory, the apps on each), Drain and Activate per node (nodes:drain, nodes:activate), and the join
// command of `nodes:add` shown on request. The menu offers it only where the runtime has nodes (app.js).
import { $, ApiError, act, api, appendLog, emptyRow, h, status, streamNdjson, table } from './lib.js';
import { heading } from './apps.js';

const mib = (bytes) => `${Math.round(bytes / 1048576)} MiB`;

/** `shop (web×2, worker; storage)`: the apps on a node, as the CLI shows them. */
function appsOn(node) {
  const byApp = new Map();
  for (const i of node.instances) {
    const types = byApp.get(i.app) ?? new Map();
    types.set(i.type, (types.get(i.type) ?? 0) + 1);
    byApp.set(i.app, types);
  }
  const pinned = new Set(node.instances.filter((i) => i.storage).map((i) => i.app));
  return [...byApp].map(([app, types]) => `${app} (${[...types].map(([t, k]) => (k > 1 ? `${t}\u00d7${k}` : t)).join(', ')}${pinned.has(app) ? '; storage' : ''})`).join(', ') || '-';
}

export function nodesPage() {
  const rows = h('tbody');
  const note = h('p', { class: 'help', id: 'nodes-note' }, 'Loading…');
  const log = h('pre', { class: 'log', id: 'nodes-log', role: 'log', hidden: true });
  const joinBox = h('div', { id: 'nodes-join' });
  const showJoin = h('button', { type: 'button', class: 'secondary', id: 'nodes-show-join' }, 'Show the join command');

  const refresh = async () => {
    try {
      const nodes = await api('GET', '/nodes');
      note.textContent = `${nodes.length} node${nodes.length === 1 ? '' : 's'}. Drain moves a node's instances to the others (each replaced before it stops), then keeps it empty.`;
      rows.replaceChildren(...(nodes.length ? nodes.map(row) : [emptyRow(8, 'No nodes.')]));
    } catch (e) {
      // Not a swarm (the menu hides the page, but an address can be typed): the API says why.
      note.textContent = e instanceof ApiError && e.status < 500 ? `${e.message}` : `Could not load the nodes: ${e.message}`;
      rows.replaceChildren();
    }
  };

  const row = (n) => {
    const drain = h('button', { type: 'button', class: 'danger', 'aria-label': `Drain ${n.name}` }, 'Drain');
    const activate = h('button', { type: 'button', class: 'secondary', 'aria-label': `Activate ${n.name}` }, 'Activate');
    drain.hidden = n.availability === 'drain';
    activate.hidden = n.availability === 'active';
    drain.addEventListener('click', () => act(drain, `Draining ${n.name}…`, async () => {
      log.hidden = false;
      log.replaceChildren();
      let outcome = `Drained ${n.name}.`;
      await streamNdjson(`/nodes/${encodeURIComponent(n.name)}/drain`, undefined, (e) => {
        if (e.type === 'line') appendLog(log, e.text);
        else if (e.type === 'error') outcome = `Drain of ${n.name} failed: ${e.error}${e.hint ? ` (${e.hint})` : ''}`;
      }, {});
      await refresh();
      return outcome;
    }));
    activate.addEventListener('click', () => act(activate, `Activating ${n.name}…`, async () => {
      await api('POST', `/nodes/${encodeURIComponent(n.name)}/activate`);
      await refresh();
      return `${n.name} takes new instances again.`;
    }));
    return h('tr', { 'data-node': n.name },
      h('td', {}, n.name, n.self ? ' (this server)' : ''), h('td', {}, n.address), h('td', {}, n.role), h('td', {}, n.state),
      h('td', {}, n.availability), h('td', {}, `${mib(n.memoryLimitsBytes)} of ${mib(n.memoryBytes)}`), h('td', {}, appsOn(n)),
      h('td', {}, h('div', { class: 'actions' }, drain, activate)));
  };

  // The join token lets any server join: shown only when asked for (admins only; the API refuses others).
  showJoin.addEventListener('click', () => act(showJoin, 'Getting the join command…', async () => {
    const j = await api('GET', '/nodes/join');
    joinBox.replaceChildren(
      h('p', { class: 'help' }, 'On the new server (with Docker installed), as root:'),
      // minicloud's own registry: the node's Docker trusts its CA before it joins (and pulls).
      ...(j.registry ? [h('pre', { class: 'log', id: 'nodes-registry-trust' }, j.registry.trust)] : []),
      h('pre', { class: 'log', id: 'nodes-join-command' }, j.command),
      h('p', { class: 'help' }, 'The token lets any server join: keep it as a password (`docker swarm join-token --rotate worker` replaces it).'));
    return 'The join command is shown below the table.';
  }));

  $('#view').replaceChildren(heading('Nodes'), note,
    table(['Node', 'Address', 'Role', 'State', 'Availability', 'Memory (limits of)', 'Apps', ''], rows, { id: 'nodes' }),
    log, h('h2', {}, 'Add a node'), h('p', { class: 'help' }, 'As `minicloud nodes:add`: the command a new server runs to join the swarm as a worker.'),
    showJoin, joinBox);
  status('');
  void refresh();
}
