// catalog: every file in catalog/ passes catalog/schema.json and the checks a schema cannot make; a broken entry fails
// naming its field; installs check inputs, memory and the runtime before anything is made.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CATALOG_DIR, CatalogInstaller, catalogEntry, compareVersions, entryVersions, loadCatalog, planInstall, readEntry, runAs, type CatalogEntry, type InstallerDeps } from '../../src/catalog/index.ts';
import bcrypt from 'bcryptjs';
import { UserError } from '../../src/core/index.ts';

const scratch = mkdtempSync(join(tmpdir(), 'mc-catalog-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const radicale = () => JSON.parse(readFileSync(join(CATALOG_DIR, 'radicale.json'), 'utf8')) as CatalogEntry & Record<string, unknown>;

/** The error of radicale.json changed by `edit`, read from a catalog directory of its own. */
function brokenBy(edit: (e: CatalogEntry & Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(scratch, 'c-'));
  cpSync(join(CATALOG_DIR, 'schema.json'), join(dir, 'schema.json'));
  const e = radicale();
  edit(e);
  writeFileSync(join(dir, 'radicale.json'), JSON.stringify(e));
  try {
    readEntry(dir, 'radicale.json');
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('no error');
}

describe('the catalog files', () => {
  it('all pass the schema and the checks beyond it', () => {
    const c = loadCatalog();
    expect(c.broken).toEqual([]);
    expect(c.entries.map((e) => e.id)).toEqual(['gitea', 'jenkins', 'nextcloud', 'radicale', 'registry', 'uptime-kuma', 'wordpress']);
    for (const e of c.entries) expect(e.version).not.toBe('latest');
  });

  it.each<[string, (e: CatalogEntry & Record<string, unknown>) => void, string]>([
    ['a missing version', (e) => { delete (e as Partial<CatalogEntry>).version; }, 'catalog/radicale.json: version is missing'],
    ['version latest', (e) => { e.version = 'latest'; }, 'catalog/radicale.json: version must match'],
    ['an image at latest', (e) => { e.processes.web!.image = 'tomsquest/docker-radicale:latest'; }, 'catalog/radicale.json: processes.web.image must match'],
    ['an untagged image', (e) => { e.processes.web!.image = 'tomsquest/docker-radicale'; }, 'catalog/radicale.json: processes.web.image must match'],
    ['an image not at the version', (e) => { e.processes.web!.image = 'tomsquest/docker-radicale:3.2.0'; }, 'processes.web.image must be pinned at version 3.1.8'],
    ['two images', (e) => { e.processes.worker = { image: 'tomsquest/docker-radicale:3.1.8.4', command: 'true' }; }, 'processes.worker.image must be tomsquest/docker-radicale:3.1.8.3'],
    ['a port that is no number', (e) => { (e.processes.web as Record<string, unknown>).port = '5232'; }, 'catalog/radicale.json: processes.web.port must be integer'],
    ['an unknown field', (e) => { e.colour = 'blue'; }, 'catalog/radicale.json: colour is not a known field'],
    ['an input without a pattern', (e) => { delete (e.inputs![0] as Record<string, unknown>).pattern; }, 'catalog/radicale.json: inputs[0].pattern is missing'],
    ['a pattern that is no regular expression', (e) => { e.inputs![0]!.pattern = '[a-'; }, 'catalog/radicale.json: inputs[0].pattern is not a regular expression'],
    ['a lower-case config key', (e) => { e.inputs![0]!.key = 'user'; }, 'catalog/radicale.json: inputs[0].key must match'],
    ['a key set twice', (e) => { e.secrets = [{ key: 'RADICALE_USER', description: 'x' }]; }, 'RADICALE_USER is set twice'],
    ['a relative volume', (e) => { e.volumes = [{ name: 'collections', path: 'data' }]; }, 'catalog/radicale.json: volumes[0].path must match'],
    ['memory beyond reason', (e) => { e.memoryMb = 0; }, 'catalog/radicale.json: memoryMb must be >= 16'],
    ['no web process', (e) => { e.processes = { worker: e.processes.web! }; }, 'catalog/radicale.json: processes.web is missing'],
    ['an id not its file name', (e) => { e.id = 'contacts'; }, "catalog/radicale.json: id must be the file's name"],
    ['an htpasswd of no input', (e) => { e.secrets = [{ key: 'HT', description: 'x', htpasswd: { user: 'NOPE', password: 'RADICALE_PASSWORD' } }]; }, 'catalog/radicale.json: secrets[0].htpasswd.user must name an input (NOPE is none)'],
    ['an htpasswd user that may hold a colon', (e) => { e.inputs![0]!.pattern = '.{1,64}'; e.secrets = [{ key: 'HT', description: 'x', htpasswd: { user: 'RADICALE_USER', password: 'RADICALE_PASSWORD' } }]; }, 'secrets[0].htpasswd.user names RADICALE_USER, whose pattern lets : or a line break in'],
    ['a router setting out of range', (e) => { e.router = { 'max-body': '20g' }; }, 'catalog/radicale.json: router max-body must be a size from 1k to 10g'],
    ['a config var minicloud sets itself', (e) => { e.processes.web!.env = { PORT: '80' }; }, 'catalog/radicale.json: (config vars) PORT cannot be set'],
    ['another version at the wrong tag', (e) => { e.versions = [{ version: '3.1.7', image: 'tomsquest/docker-radicale:3.1.8.3' }]; }, 'catalog/radicale.json: versions[0].image must be pinned at version 3.1.7'],
    ['another version at latest', (e) => { e.versions = [{ version: '3.1.7', image: 'tomsquest/docker-radicale:latest' }]; }, 'catalog/radicale.json: versions[0].image must match'],
    ['the pinned version listed again', (e) => { e.versions = [{ version: '3.1.8', image: 'tomsquest/docker-radicale:3.1.8.2' }]; }, 'catalog/radicale.json: versions[0].version 3.1.8 is listed twice'],
    ['another version newer than the pinned one', (e) => { e.versions = [{ version: '3.10.0', image: 'tomsquest/docker-radicale:3.10.0' }]; }, 'catalog/radicale.json: versions[0].version 3.10.0 is newer than version 3.1.8'],
    ['root as the user', (e) => { e.user = '0:0'; }, 'catalog/radicale.json: user must match'],
    ['a user by name', (e) => { e.user = 'www-data'; }, 'catalog/radicale.json: user must match'],
    ['a plain-http link', (e) => { e.links.homepage = 'http://radicale.org'; }, 'catalog/radicale.json: links.homepage must match'],
  ])('refuses %s, naming the field', (_what, edit, message) => {
    expect(brokenBy(edit)).toContain(message);
  });

  it('lists a broken entry apart and refuses to install it', () => {
    const dir = mkdtempSync(join(scratch, 'c-'));
    cpSync(join(CATALOG_DIR, 'schema.json'), join(dir, 'schema.json'));
    writeFileSync(join(dir, 'radicale.json'), JSON.stringify({ ...radicale(), version: 'latest' }));
    expect(loadCatalog(dir)).toMatchObject({ entries: [], broken: [{ file: 'radicale.json' }] });
    expect(() => catalogEntry('radicale', dir)).toThrow('catalog/radicale.json: version must match');
    expect(() => catalogEntry('../etc/passwd', dir)).toThrow('is not a catalog id');
  });
});

describe('an entry\'s user', () => {
  it('runs its processes instead of the image\'s', () => {
    expect(runAs({ ...radicale(), user: '33:33' }).user).toEqual({ uid: 33, gid: 33 });
    expect(runAs(radicale()).user).toBeUndefined();
  });
});

describe('versions', () => {
  it('compare part by part, numbers as numbers, a pre-release before its release', () => {
    expect(compareVersions('3.1.9', '3.1.8')).toBeGreaterThan(0);
    expect(compareVersions('3.10.0', '3.9.9')).toBeGreaterThan(0);
    expect(compareVersions('1.25.5', '1.25.5')).toBe(0);
    expect(compareVersions('2.0.0-beta.4', '2.0.0')).toBeLessThan(0);
    expect(compareVersions('2.0.0-beta.4', '2.0.0-beta.3')).toBeGreaterThan(0);
    expect(compareVersions('1.2', '1.2.1')).toBeLessThan(0);
  });

  it('of an entry, newest first: its pinned version and those it lists', () => {
    const e = { ...radicale(), versions: [{ version: '3.0.1', image: 'tomsquest/docker-radicale:3.0.1.0' }, { version: '3.1.7', image: 'tomsquest/docker-radicale:3.1.7.1' }] };
    expect(entryVersions(e).map((v) => v.version)).toEqual(['3.1.8', '3.1.7', '3.0.1']);
  });
});

describe('an install', () => {
  const entry = catalogEntry('radicale');
  const good = { RADICALE_USER: 'alice', RADICALE_PASSWORD: 'correct-horse-battery-7' };

  it('turns inputs into config vars, marks the secret ones, and runs the entry\'s command on its port', () => {
    expect(planInstall(entry, good)).toEqual({ config: good, secret: ['RADICALE_PASSWORD'] });
    const generated = planInstall({ ...entry, secrets: [{ key: 'SESSION_KEY', description: 'x', bytes: 32 }] }, good);
    expect(generated.config.SESSION_KEY).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generated.secret).toEqual(['RADICALE_PASSWORD', 'SESSION_KEY']);
    expect(planInstall({ ...entry, secrets: [{ key: 'SESSION_KEY', description: 'x' }] }, good).config.SESSION_KEY).not.toBe(generated.config.SESSION_KEY);
    expect(runAs(entry)).toEqual({
      processes: { web: entry.processes.web!.command },
      manifest: { expose: { proto: 'http', port: 5232 }, healthcheck: { path: '/.web/', startTimeoutSeconds: 60 } },
    });
  });

  it.each<[Record<string, string>, string]>([
    [{ RADICALE_USER: 'alice' }, 'radicale needs RADICALE_PASSWORD'],
    [{ ...good, RADICALE_USER: 'alice\nbob:x' }, 'RADICALE_USER must match'],
    [{ ...good, EXTRA: '1' }, 'EXTRA is not an input of radicale'],
  ])('refuses %j', (set, message) => {
    expect(() => planInstall(entry, set)).toThrow(message);
  });

  it('never echoes a secret input that does not fit', () => {
    try {
      planInstall(entry, { ...good, RADICALE_PASSWORD: 'short pass' });
      throw new Error('no error');
    } catch (e) {
      expect((e as Error).message).toContain('RADICALE_PASSWORD must match');
      expect((e as Error).message).not.toContain('short pass');
    }
  });

  it("makes an htpasswd line of two inputs (bcrypt) and random secrets for the registry", () => {
    const plan = planInstall(catalogEntry('registry'), { REGISTRY_USER: 'ci', REGISTRY_PASSWORD: 'registry-pass-123' });
    const [user, hash] = plan.config.REGISTRY_HTPASSWD!.split(':');
    expect(user).toBe('ci');
    expect(bcrypt.compareSync('registry-pass-123', hash!)).toBe(true);
    expect(plan.config.REGISTRY_HTTP_SECRET).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(plan.config.REGISTRY_AUTH).toBe('htpasswd');
    expect(plan.secret).toEqual(['REGISTRY_PASSWORD', 'REGISTRY_HTPASSWD', 'REGISTRY_HTTP_SECRET']);
  });

  it('is refused up front when the server cannot fit it, or runs no containers', async () => {
    let created = 0;
    const deps = (runtime: 'docker' | 'process', free: number) => ({
      runtime: () => runtime, memAvailableMb: () => free, apps: { create: async () => { created++; return { name: 'x' }; } },
    }) as unknown as InstallerDeps;
    await expect(new CatalogInstaller(deps('docker', 100)).install('contacts', 'radicale', good, () => {}))
      .rejects.toThrow('Radicale needs 128 MiB of memory and this server has 100 MiB available');
    await expect(new CatalogInstaller(deps('process', 4096)).install('contacts', 'radicale', good, () => {}))
      .rejects.toThrow('Radicale is an image, and this minicloud runs apps as host processes');
    await expect(new CatalogInstaller(deps('docker', 4096)).install('contacts', 'radicale', { RADICALE_USER: 'a' }, () => {}))
      .rejects.toThrow('radicale needs RADICALE_PASSWORD');
    expect(created).toBe(0);
  });
});
