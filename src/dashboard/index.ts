// dashboard: the web UI's static files (vanilla JS modules, no build step), a client of the REST API like the CLI.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CHECKOUT } from '../core/index.ts';

/** The directory holding index.html, style.css and the scripts: in the sources, also when minicloud runs from dist/. */
export const DASHBOARD_DIR = join(CHECKOUT, 'src', 'dashboard');

/** The page's JavaScript modules (app.js imports the others); only these and index.html, style.css are served. */
export const DASHBOARD_SCRIPTS = [
  'app.js', 'lib.js', 'apps.js', 'app-page.js', 'charts.js', 'logs-panel.js', 'releases-config.js', 'release-diff.js', 'previews.js', 'resources.js', 'backups-github.js', 'image-deploy.js', 'activity.js', 'alerts.js', 'deploy-log.js', 'server-pages.js', 'settings.js', 'cron.js', 'deploys.js', 'catalog.js', 'upgrade.js', 'console.js', 'nodes.js',
  'people.js', 'server-backups.js', 'backups-remote.js', 'addon-info.js',
];

const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

/**
 * Third-party files the page loads from this server (never from a CDN: the dashboard works offline and its CSP
 * allows only 'self'), by their path under /dashboard/vendor/: xterm.js for the console tab.
 */
export const DASHBOARD_VENDOR: Readonly<Record<string, string>> = {
  'xterm.mjs': join(packageDir('@xterm/xterm'), 'lib', 'xterm.mjs'),
  'xterm.css': join(packageDir('@xterm/xterm'), 'css', 'xterm.css'),
  'addon-fit.mjs': join(packageDir('@xterm/addon-fit'), 'lib', 'addon-fit.mjs'),
};
