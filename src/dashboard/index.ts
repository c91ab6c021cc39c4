// dashboard: the web UI's static files (vanilla JS, no build step), a client of the REST API like the CLI.
import { fileURLToPath } from 'node:url';

/** The directory holding index.html, app.js and style.css. */
export const DASHBOARD_DIR = fileURLToPath(new URL('.', import.meta.url));
