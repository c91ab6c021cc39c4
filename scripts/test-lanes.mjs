// `npm test` runs the suite in two lanes at once, each one test file at a time (two vitest runs side by side):
// - shared: files that use what every test minicloud shares by name — the Docker engine (images `minicloud/<app>`,
//   networks, containers named after apps), the machine's PostgreSQL/MariaDB/RabbitMQ/Redis (add-ons `mc_<app>`),
//   swarms, Pebble, S3 stand-ins, the installer's engines. Two of them at once could meet on the same names.
// - host: the rest, with the unit project: minicloud on host processes only, whose names are its own (data dir,
//   Redis prefix, Unix users, cgroups and firewall tags all per server), so it runs beside any shared-lane file.
// A file is put in the shared lane when its text names one of those parts (SHARED below), or says so itself with a
// line `// test lane: shared`. When in doubt, shared: a file there only runs later, never beside its likes.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SHARED = /dockerHost|MINICLOUD_RUNTIME: '(docker|swarm)'|swarm|addons:create|addons\/|postgres|mariadb|rabbitmq|'redis'|installer|s3rver|pebble|netns|test lane: shared/i;

/** The integration, e2e and contract test files under `root`/test, relative to root, sorted. */
export function suiteFiles(root) {
  const out = [];
  const walk = (rel) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) { if (p !== 'test/unit') walk(p); } else if (e.name.endsWith('.test.ts')) out.push(p);
    }
  };
  walk('test');
  return out.sort();
}

/** { shared, host }: the files of each lane. */
export function lanes(root) {
  const shared = [];
  const host = [];
  for (const f of suiteFiles(root)) (SHARED.test(readFileSync(join(root, f), 'utf8')) ? shared : host).push(f);
  return { shared, host };
}
