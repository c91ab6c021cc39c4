// How long a Compose file takes to check (on the server, per apps:create --compose or push): a typical file, the
// worst the bounds let through (32 KiB of keys: the YAML parser's unique-key checks are quadratic), and hostile ones refused.
import { parseCompose } from '../../src/build/index.ts';
import { printTable, stats } from './stats.ts';

const TYPICAL = `services:
  web: { image: shop:1.0, command: node server.js, ports: ["8080:3000"], environment: { GREETING: hello }, volumes: ["uploads:/srv/uploads"],
         healthcheck: { test: ["CMD", "curl", "-f", "http://localhost:3000/health"], interval: 5s } }
  worker: { image: shop:1.0, command: node worker.js, volumes: ["uploads:/srv/uploads"], depends_on: { web: { condition: service_healthy } } }
  db: { image: postgres:16, x-minicloud: { addon: postgres } }
volumes: { uploads: {} }
`;
// As many extension keys as fit under the 32 KiB limit, then a valid service: parsed whole, accepted.
const KEYS = `x-k:\n${Array.from({ length: 2900 }, (_, i) => `  s${i}: 1`).join('\n')}\nservices: { web: { image: app:1, ports: ["80"] } }\n`;
const LAUGHS = `x-a: &a [${Array(60).fill('"lol"').join(',')}]\nx-b: &b [${Array(60).fill('*a').join(',')}]\nservices: { web: { image: app:1, ports: ["80"] } }\n`;
const DEEP = `services: ${'['.repeat(60_000)}`;

function time(text: string, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    try {
      parseCompose(text, () => null);
    } catch {
      // refused: that is the point of the hostile rows
    }
    out.push(performance.now() - start);
  }
  return out;
}

export async function composeBench(): Promise<void> {
  printTable('Compose file check (parse and validate, one file)', [
    ['typical (3 services)', stats(time(TYPICAL, 50))],
    [`${Math.round(KEYS.length / 1024)} KiB of keys (accepted)`, stats(time(KEYS, 5))],
    ['billion laughs (refused)', stats(time(LAUGHS, 20))],
    ['60,000 [ (refused before parsing)', stats(time(DEEP, 20))],
  ]);
}
