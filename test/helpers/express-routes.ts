// Test helper: every route of minicloud's Express app, found by walking its router stack (no server started).
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApi, type ApiOptions } from '../../src/api/index.ts';
import { Store } from '../../src/store/index.ts';

interface Layer { route?: { path: string; methods: Record<string, boolean> }; handle: { stack?: Layer[] }; rawPath?: string | string[]; name?: string }

export interface FoundRoute { method: string; path: string }
export interface Walk { routes: FoundRoute[]; mounts: string[] }

/**
 * Builds the API as main.ts does, with inert parts (nothing is called while routes are only declared),
 * and lists its routes: method and full path, plus the paths where a plain handler (git) is mounted.
 */
export function expressRoutes(): Walk {
  const dir = mkdtempSync(join(tmpdir(), 'mc-routes-'));
  const store = new Store(join(dir, 'minicloud.db'));
  try {
    // Only what createApi reads while declaring routes; options it does not find are left out, as a caller may.
    const deps = { store, appUrl: (a: string) => `http://${a}.localhost`, baseDomain: 'localhost', hookToken: 'x'.repeat(40), metrics: {}, moves: {}, cliTarball: async () => Buffer.alloc(0) } as unknown as ApiOptions;
    const server: Server = createApi(deps);
    const app = server.listeners('request')[0] as unknown as { router: { stack: Layer[] } };
    const out: Walk = { routes: [], mounts: [] };
    walk(app.router.stack, '', out);
    return out;
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function walk(stack: Layer[], prefix: string, out: Walk): void {
  for (const layer of stack) {
    const raw = Array.isArray(layer.rawPath) ? layer.rawPath[0] : layer.rawPath;
    const here = raw && raw !== '/' ? prefix + raw : prefix;
    if (layer.route) {
      for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== '_all') out.routes.push({ method: m.toUpperCase(), path: prefix + layer.route.path });
    } else if (layer.handle.stack) {
      walk(layer.handle.stack, here, out);
    } else if (raw && raw !== '/') {
      out.mounts.push(here);
    }
  }
}
