// The minicloud dashboard's entry: logging in and out, and which view the address shows. Vanilla JS, no build step.
import { $, api, hooks, request, session, status, view } from './lib.js';
import { appsPage } from './apps.js';
import { appPage } from './app-page.js';
import { deployLogPage } from './deploy-log.js';
import { catalogPage } from './catalog.js';
import { alertsPage, diskPage, peoplePage, routerPage } from './server-pages.js';
import { backupsPage } from './server-backups.js';
import { nodesPage } from './nodes.js';

function showLogin(message = '') {
  view.stop();
  shownApp = null;
  $('#whoami').hidden = true;
  session.csrf = null;
  $('#view').replaceChildren();
  $('#logout').hidden = true;
  $('#menu').hidden = true;
  $('#login-view').hidden = false;
  $('#login-error').textContent = message;
  $('#login-token').focus();
}
hooks.onLoggedOut = showLogin;

$('#login-form').addEventListener('submit', (ev) => logIn(ev, () => ({ token: $('#login-token').value }), [$('#login-token')]));
$('#login-user-form').addEventListener('submit', (ev) => logIn(ev, () => ({ email: $('#login-email').value, password: $('#login-password').value }), [$('#login-password')]));

/** Logs in with a token or a person's email and password; `clear` are the inputs emptied on success. */
async function logIn(ev, body, clear) {
  ev.preventDefault();
  const button = ev.target.querySelector('button');
  button.disabled = true;
  $('#login-error').textContent = '';
  try {
    const res = await fetch('/dashboard/session', {
      method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body()),
    });
    const answer = await res.json().catch(() => ({}));
    if (res.status === 429) {
      $('#login-error').textContent = `Login refused: too many failed attempts. Try again in ${res.headers.get('retry-after') ?? 60} s.`;
    } else if (!res.ok) {
      $('#login-error').textContent = `Login refused: ${answer.error ?? `HTTP ${res.status}`}. Check the token and try again.`;
    } else {
      session.csrf = answer.csrf;
      for (const input of clear) input.value = '';
      loggedIn();
    }
  } catch (e) {
    $('#login-error').textContent = `Could not reach minicloud: ${e.message}`;
  } finally {
    button.disabled = false;
  }
}

$('#logout').addEventListener('click', async () => {
  view.stop();
  await request('DELETE', '/dashboard/session').catch(() => {});
  location.hash = '#/';
  showLogin('Logged out.');
});

function loggedIn() {
  $('#login-view').hidden = true;
  $('#logout').hidden = false;
  $('#menu').hidden = false;
  // Who is logged in, in the header.
  api('GET', '/me').then((me) => {
    $('#whoami').textContent = `Logged in as ${me.user ?? me.name} (${me.role})`;
    $('#whoami').hidden = false;
    // Pages only an admin can use are not offered to anyone else (the API refuses them anyway).
    for (const a of document.querySelectorAll('#menu a[data-admin]')) a.hidden = me.role !== 'admin';
  }, () => {});
  // Nodes exist only on a swarm: on one server (host processes, Docker) the menu has no such page.
  api('GET', '/status').then((s) => { $('#menu-nodes').hidden = s.runtime !== 'swarm'; }, () => {});
  route();
}

/** The server-wide pages of the top menu, by their address. */
const PAGES = { '#/catalog': catalogPage, '#/alerts': alertsPage, '#/people': peoplePage, '#/router': routerPage, '#/disk': diskPage, '#/nodes': nodesPage, '#/backups': backupsPage };

/** The app page on screen, kept while only its tab changes (its streams and forms stay). */
let shownApp = null;

function route() {
  if (!session.csrf) return;
  const hash = location.hash;
  // `#/apps/<app>` or `#/apps/<app>/<tab>`: the app's page at one tab.
  const m = /^#\/apps\/([a-z0-9-]+)(?:\/([a-z]+))?$/.exec(hash);
  // A deploy's whole log: where a failed deploy's alert links to.
  const d = /^#\/apps\/([a-z0-9-]+)\/deploys\/([A-Za-z0-9_-]+)$/.exec(hash);
  markMenu(hash);
  if (m && shownApp?.name === m[1]) return shownApp.show(m[2]);
  view.stop();
  view.stop = () => {};
  shownApp = null;
  status('');
  if (m) shownApp = appPage(m[1], m[2]);
  else if (d) deployLogPage(d[1], d[2]);
  else if (PAGES[hash]) PAGES[hash]();
  else appsPage();
}

/** The top menu's entry of the current page says so (aria-current). */
function markMenu(hash) {
  const links = [...document.querySelectorAll('#menu a')];
  const here = links.find((a) => a.getAttribute('href') === hash) ?? (hash.startsWith('#/apps/') || hash === '' || hash === '#/' ? links[0] : null);
  for (const a of links) {
    if (a === here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

window.addEventListener('hashchange', route);

(async () => {
  try {
    session.csrf = (await request('GET', '/dashboard/session')).csrf;
    loggedIn();
  } catch {
    showLogin();
  }
})();
