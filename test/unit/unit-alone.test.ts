// `npm run test:unit` needs no apt, Docker, shared servers or real app processes: no unit test imports a helper that starts a server
// (Redis, minicloud, a router, Docker, PostgreSQL and the like). Such tests live in test/integration.
import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const UNIT = new URL('.', import.meta.url).pathname;
const SERVERS = ['redis', 'minicloud', 'docker', 'services', 'own-servers', 'netns', 'netns-engine', 'pebble', 'router-process', 'router-daemon', 'echo-app', 'browser'];

it('starts no servers', () => {
  const wrong: string[] = [];
  for (const file of readdirSync(UNIT).filter((f) => f.endsWith('.ts'))) {
    for (const m of readFileSync(UNIT + file, 'utf8').matchAll(/from '\.\.\/helpers\/([\w-]+)\.ts'/g)) {
      if (SERVERS.includes(m[1]!)) wrong.push(`${file} imports helpers/${m[1]}.ts`);
    }
  }
  expect(wrong).toEqual([]);
});

// A real runtime runs real app processes (or containers), with restarts and drains measured in seconds: that is an
// integration test (test/integration/processes-formation.test.ts, runtime-process-runtime.test.ts).
it('runs no app through a real runtime', () => {
  const wrong = readdirSync(UNIT).filter((f) => f.endsWith('.ts'))
    .filter((f) => /\bnew (ProcessRuntime|DockerRuntime)\(/.test(readFileSync(UNIT + f, 'utf8')));
  expect(wrong).toEqual([]);
});
