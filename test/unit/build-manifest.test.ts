import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest, readManifest, type ManifestFile } from '../../src/build/index.ts';
import { UserError } from '../../src/core/index.ts';

const error = (text: string, file?: ManifestFile) => {
  try {
    parseManifest(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as UserError).message;
  }
  throw new Error('no error');
};

describe('cloud_manifest.yml', () => {
  it('reads every field', () => {
    const m = parseManifest(`
name: shop
expose: { proto: http, port: 8080 }
needs: [database, messagebus, storage, redis]
healthcheck: { path: /health, timeout: 30 }
cron:
  - schedule: "*/5  * * * *"
    command: node cleanup.js
`);
    expect(m).toEqual({
      name: 'shop', expose: { proto: 'http', port: 8080 }, needs: ['database', 'messagebus', 'storage', 'redis'],
      healthcheck: { path: '/health', startTimeoutSeconds: 30 }, cron: [{ schedule: '*/5 * * * *', command: 'node cleanup.js' }],
    });
    expect(parseManifest('')).toEqual({});
    expect(parseManifest('healthcheck: /up')).toEqual({ healthcheck: { path: '/up' } });
  });

  it.each([
    ['colour: blue', 'cloud_manifest.yml: colour is not a known field'],
    ['expose: { port: 70000 }', 'cloud_manifest.yml: expose.port must be a port number from 1 to 65535 (got 70000)'],
    ['expose: { proto: udp, port: 53 }', 'cloud_manifest.yml: expose.proto must be http: minicloud\'s router forwards HTTP'],
    ['expose: []', 'cloud_manifest.yml: expose must name the web port'],
    ['expose: [{ proto: http }]', 'cloud_manifest.yml: expose[0].port must be a port number from 1 to 65535 (got undefined)'],
    ['expose: [{ proto: tcp, port: 22 }]', 'cloud_manifest.yml: expose[0].proto must be http'],
    ['expose: [{ proto: http, port: 80 }, { proto: http, port: 81 }]', 'cloud_manifest.yml: expose[1] is a second port: minicloud routes one HTTP port per app (expose[0], port 80)'],
    ['expose: [{ proto: http, port: 80 }, { proto: udp, port: 53 }]', 'cloud_manifest.yml: expose[1].proto must be http'],
    ['expose: { port: 80, host: 0.0.0.0 }', 'cloud_manifest.yml: expose.host is not a known field'],
    ['needs: [database, kafka]', 'cloud_manifest.yml: needs[1] must be one of database, messagebus, storage, redis (got "kafka")'],
    ['needs: database', 'cloud_manifest.yml: needs must be a list'],
    ['healthcheck: health', 'cloud_manifest.yml: healthcheck must be a URL path starting with /'],
    ['healthcheck: { path: /h, timeout: 0 }', 'cloud_manifest.yml: healthcheck.timeout must be a whole number'],
    ['cron: [{ schedule: "every minute", command: x }]', 'cloud_manifest.yml: cron[0].schedule must be a standard 5-field schedule'],
    ['cron: [{ schedule: "* * * * *" }]', 'cloud_manifest.yml: cron[0].command must be the command to run'],
    ['name: Not An App', 'cloud_manifest.yml: name invalid app name'],
    ['name: [x', 'cloud_manifest.yml is not valid YAML'],
    ['- a list', 'cloud_manifest.yml: (top level) must be a mapping'],
  ])('%s → names the field', (text, message) => {
    expect(error(text)).toContain(message);
  });

  it("reads the seed's manifest as written: expose as a list", () => {
    const seed = 'name: myapp\nexpose:\n- proto: http\n  port: 80\nneeds:\n- database\n- messagebus\n- storage\n';
    expect(parseManifest(seed)).toEqual({ name: 'myapp', expose: { proto: 'http', port: 80 }, needs: ['database', 'messagebus', 'storage'] });
    expect(parseManifest('expose:\n- port: 8080\n')).toEqual({ expose: { proto: 'http', port: 8080 } });
  });

  it('reads cloud_manifest.json with the same checks, errors naming the file and field', () => {
    const json = JSON.stringify({ name: 'myapp', expose: [{ proto: 'http', port: 80 }], needs: ['database', 'messagebus', 'storage'] });
    expect(parseManifest(json, 'cloud_manifest.json')).toEqual({ name: 'myapp', expose: { proto: 'http', port: 80 }, needs: ['database', 'messagebus', 'storage'] });
    expect(error('{"needs": ["kafka"]}', 'cloud_manifest.json')).toContain('cloud_manifest.json: needs[0] must be one of');
    expect(error('{"expose": {"port": "80"}}', 'cloud_manifest.json')).toContain('cloud_manifest.json: expose.port must be a port number');
    expect(error('{"__proto__": {"x": 1}}', 'cloud_manifest.json')).toContain('cloud_manifest.json: __proto__ is not a known field');
    expect(error('{"needs": [', 'cloud_manifest.json')).toMatch(/^cloud_manifest\.json is not valid JSON/);
    expect(error('[1]', 'cloud_manifest.json')).toContain('cloud_manifest.json: (top level) must be a mapping');
    // The hostile-input bounds of the YAML file hold for JSON too: size and nesting, before parsing.
    expect(error(`{"name": "${'x'.repeat(9000)}"}`, 'cloud_manifest.json')).toContain('cloud_manifest.json is 9012 characters; minicloud reads at most 8192');
    expect(error(`{"cron": ${'['.repeat(40)}${']'.repeat(40)}}`, 'cloud_manifest.json')).toContain('cloud_manifest.json is refused: it nests [ ] or { } deeper than 16');
  });

  it('reads .yml, .yaml or .json from a tree, and refuses two of them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-manifest-'));
    writeFileSync(join(dir, 'cloud_manifest.json'), '{"expose": [{"proto": "http", "port": 80}]}');
    expect(readManifest(dir)).toEqual({ expose: { proto: 'http', port: 80 } });
    writeFileSync(join(dir, 'cloud_manifest.yaml'), 'needs: [storage]\n');
    expect(() => readManifest(dir)).toThrow('the repository has cloud_manifest.yaml and cloud_manifest.json; minicloud reads one manifest');
    rmSync(join(dir, 'cloud_manifest.json'));
    expect(readManifest(dir)).toEqual({ needs: ['storage'] });
    rmSync(dir, { recursive: true });
  });

  it("falls back to app.json's startup health check", () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-manifest-'));
    writeFileSync(join(dir, 'app.json'), JSON.stringify({ healthchecks: { web: [{ type: 'startup', path: '/ready', timeout: 20 }] } }));
    expect(readManifest(dir)).toEqual({ healthcheck: { path: '/ready', startTimeoutSeconds: 20 } });
    writeFileSync(join(dir, 'cloud_manifest.yml'), 'healthcheck: /live\n');
    expect(readManifest(dir)).toEqual({ healthcheck: { path: '/live' } });
    rmSync(dir, { recursive: true });
  });
});
