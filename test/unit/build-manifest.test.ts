import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest, readManifest } from '../../src/build/index.ts';
import { UserError } from '../../src/core/index.ts';

const error = (text: string) => {
  try {
    parseManifest(text);
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
    ['expose: { proto: udp, port: 53 }', 'cloud_manifest.yml: expose.proto must be http'],
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

  it("falls back to app.json's startup health check", () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-manifest-'));
    writeFileSync(join(dir, 'app.json'), JSON.stringify({ healthchecks: { web: [{ type: 'startup', path: '/ready', timeout: 20 }] } }));
    expect(readManifest(dir)).toEqual({ healthcheck: { path: '/ready', startTimeoutSeconds: 20 } });
    writeFileSync(join(dir, 'cloud_manifest.yml'), 'healthcheck: /live\n');
    expect(readManifest(dir)).toEqual({ healthcheck: { path: '/live' } });
    rmSync(dir, { recursive: true });
  });
});
