// The Swarm runtime's service specs, as built (no swarm): what each instance's service asks Swarm for.
import { describe, expect, it } from 'vitest';
import { demux } from '../../src/runtime/swarm-service-logs.ts';
import { envScript } from '../../src/runtime/swarm-secrets.ts';
import { serviceSpec } from '../../src/runtime/swarm-service-spec.ts';
import type { InstanceSpec } from '../../src/runtime/index.ts';

const spec = (o: Partial<InstanceSpec> = {}): InstanceSpec => ({
  id: '0123456789abcdef', app: 'shop', release: 4, type: 'web', command: 'node server.js', env: { GREETING: 'hi' },
  artifact: { kind: 'image', image: '10.0.0.1:5000/shop:v4', buildpack: 'node', processes: { web: 'node server.js' } }, ...o,
});
const opts = { defaultMemoryMb: 256, stopGraceMs: 5000 };
const secret = { id: 'sec1', name: 'mc-shop-web-01234567-abcd', user: { uid: 10001, gid: 10001 } };

describe('a Swarm service for one instance', () => {
  it('is reached on a host-mode port of its node, never through a virtual IP or the routing mesh', () => {
    const s = serviceSpec(spec(), 'instance', '10.0.0.1:5000/shop:v4', 'mc-app-shop', [], opts, secret);
    expect(s.EndpointSpec).toEqual({ Mode: 'dnsrr', Ports: [{ Protocol: 'tcp', TargetPort: 5000, PublishMode: 'host' }] });
    expect(s.Mode).toEqual({ Replicated: { Replicas: 1 } });
  });

  it('is never restarted by Swarm (minicloud\'s supervisor is the one restarter), and finds its app by process type', () => {
    const t = serviceSpec(spec(), 'instance', 'img', 'mc-app-shop', [], opts, secret).TaskTemplate as Record<string, any>;
    expect(t.RestartPolicy).toEqual({ Condition: 'none' });
    expect(t.Networks).toEqual([{ Target: 'mc-app-shop', Aliases: ['web', 'shop-web'] }]);
    expect(t.Placement.Constraints).toEqual([]);
  });

  it('carries env, PORT, DYNO, labels, limits, init and no capabilities', () => {
    const t = serviceSpec(spec({ memoryMb: 512, cpu: 0.5 }), 'instance', 'img', 'n', [], opts, secret).TaskTemplate as Record<string, any>;
    expect(t.ContainerSpec.Env).toEqual(['PORT=5000', 'DYNO=web.01234567']);
    expect(t.ContainerSpec.Labels).toMatchObject({ 'minicloud.app': 'shop', 'minicloud.release': '4', 'minicloud.type': 'web' });
    expect(t.ContainerSpec).toMatchObject({ Init: true, CapabilityDrop: ['ALL'], CapabilityAdd: [], StopGracePeriod: 5e9, Args: ['. /run/secrets/minicloud-env && exec node server.js'] });
    expect(t.Resources.Limits).toEqual({ MemoryBytes: 512 * 1024 * 1024, Pids: 512, NanoCPUs: 5e8 });
  });

  it('holds no config value: the config is a secret of its own, read by the image\'s user only, sourced before the command', () => {
    const t = serviceSpec(spec({ env: { GREETING: 'hi', DATABASE_URL: 'postgres://u:pw@h/db', STORAGE_DIR: '/data' } }), 'instance', 'img', 'n', [], opts, secret).TaskTemplate as Record<string, any>;
    expect(JSON.stringify(t)).not.toContain('pw@h');
    expect(JSON.stringify(t)).not.toContain('GREETING');
    expect(t.ContainerSpec.Env).toEqual(['STORAGE_DIR=/data', 'PORT=5000', 'DYNO=web.01234567']);
    expect(t.ContainerSpec.Secrets).toEqual([{ SecretID: 'sec1', SecretName: secret.name, File: { Name: 'minicloud-env', UID: '10001', GID: '10001', Mode: 0o400 } }]);
    const root = serviceSpec(spec(), 'instance', 'img', 'n', [], opts, { ...secret, user: null }).TaskTemplate as Record<string, any>;
    expect(root.ContainerSpec.Secrets[0].File).toEqual({ Name: 'minicloud-env', UID: '0', GID: '0', Mode: 0o444 });
  });

  it('writes the config as shell lines that expand nothing, and refuses a name a shell cannot export', () => {
    expect(envScript({ A: "it's $(id) `x` \"q\"\nnext", B: '' })).toBe("# minicloud: the config vars of this instance\nexport A='it'\\''s $(id) `x` \"q\"\nnext'\nexport B=''\n");
    expect(() => envScript({ 'A;rm -rf /': 'x' })).toThrow('cannot be exported by a shell');
  });

  it('is placed on the node it was given (the one holding its volumes)', () => {
    const t = serviceSpec(spec(), 'instance', 'img', 'n', [{ hostDir: '/srv/v', target: '/data' }], { ...opts, node: 'abc' }, secret).TaskTemplate as Record<string, any>;
    expect(t.Placement.Constraints).toEqual(['node.id==abc']);
    expect(t.ContainerSpec.Mounts).toEqual([{ Type: 'bind', Source: '/srv/v', Target: '/data' }]);
  });

  it('runs a one-off command as a job of one task, with no port', () => {
    const s = serviceSpec(spec(), 'run', 'img', 'n', [], opts, secret);
    expect(s.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
    expect(s.EndpointSpec).toEqual({ Mode: 'dnsrr' });
  });
});

it('joins the payloads of multiplexed log frames', () => {
  const frame = (stream: number, text: string) => Buffer.concat([Buffer.from([stream, 0, 0, 0, 0, 0, 0, Buffer.byteLength(text)]), Buffer.from(text)]);
  expect(demux(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')])).toString()).toBe('out\nerr\n');
});
