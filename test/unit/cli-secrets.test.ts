// Contract tests of secrets on the CLI: tokens and registry passwords from standard input or the environment, never
// needing a flag (which stays in shell history and the process list, and is warned about).
import { describe, expect, it } from 'vitest';
import { sendJson, useCliServer } from './cli-harness.ts';

const srv = useCliServer();
const run = srv.run;
const WARNING = /--token leaves the GitHub token in your shell history and the process list; pipe it with --token-stdin or set GITHUB_TOKEN/;
const connected = { repo: 'o/r', branch: 'main', secret: 's', payloadUrl: 'http://x/webhooks/github', contentType: 'application/json', hasToken: true };

describe('apps:connect', () => {
  it('reads the GitHub token from standard input', async () => {
    srv.handler = (_q, res) => sendJson(res, 201, connected);
    const r = await run(['apps:connect', 'my-app', '--github', 'o/r', '--token-stdin'], { stdin: 'ghp_from_stdin\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    // No --branch: none sent, and the server follows the app's deploy branch.
    expect(srv.seen[0]!.body).toEqual({ repo: 'o/r', token: 'ghp_from_stdin' });
  });

  it('reads it from GITHUB_TOKEN', async () => {
    srv.handler = (_q, res) => sendJson(res, 201, connected);
    const r = await run(['apps:connect', 'my-app', '--github', 'o/r'], { env: { GITHUB_TOKEN: 'ghp_env' } });
    expect(r.code, r.stderr).toBe(0);
    expect(srv.seen[0]!.body).toMatchObject({ token: 'ghp_env' });
  });

  it('still takes --token, with a warning', async () => {
    srv.handler = (_q, res) => sendJson(res, 201, connected);
    const r = await run(['apps:connect', 'my-app', '--github', 'o/r', '--token', 'ghp_flag']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(WARNING);
    expect(srv.seen[0]!.body).toMatchObject({ token: 'ghp_flag' });
  });

  it('refuses an empty standard input', async () => {
    const r = await run(['apps:connect', 'my-app', '--github', 'o/r', '--token-stdin'], { stdin: '\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--token-stdin read no GitHub token from standard input');
    expect(srv.seen).toEqual([]);
  });
});

describe('deploy --image', () => {
  it('reads the registry password from standard input or MINICLOUD_REGISTRY_PASSWORD', async () => {
    srv.handler = (_q, res) => { res.writeHead(200, { 'content-type': 'application/x-ndjson' }); res.end('{"type":"end","status":"succeeded"}\n'); };
    const piped = await run(['deploy', 'my-app', '--image', 'r.example/app:1', '--registry-user', 'u', '--registry-password-stdin'], { stdin: 'pw-stdin' });
    expect(piped.code, piped.stderr).toBe(0);
    expect(srv.seen[0]!.body).toEqual({ image: 'r.example/app:1', registry: { username: 'u', password: 'pw-stdin' } });
    const env = await run(['deploy', 'my-app', '--image', 'r.example/app:1', '--registry-user', 'u'], { env: { MINICLOUD_REGISTRY_PASSWORD: 'pw-env' } });
    expect(env.code, env.stderr).toBe(0);
    expect(srv.seen[1]!.body).toMatchObject({ registry: { password: 'pw-env' } });
  });
});

describe('users:add', () => {
  it('reads the password from standard input, or from MINICLOUD_USER_PASSWORD', async () => {
    srv.handler = (_q, res) => sendJson(res, 201, { email: 'a@example.com', role: 'member', apps: ['shop'], createdAt: '2024-01-01T00:00:00Z' });
    const piped = await run(['users:add', 'a@example.com', '--role', 'member', '--app', 'shop', '--password-stdin'], { stdin: 'a long password\n' });
    expect(piped.code, piped.stderr).toBe(0);
    expect(srv.seen[0]!.body).toEqual({ email: 'a@example.com', role: 'member', apps: ['shop'], password: 'a long password' });
    const env = await run(['users:add', 'a@example.com', '--role', 'member', '--app', 'shop'], { env: { MINICLOUD_USER_PASSWORD: 'from the environment' } });
    expect(env.code, env.stderr).toBe(0);
    expect(srv.seen[1]!.body).toMatchObject({ password: 'from the environment' });
    expect(env.stdout).not.toContain('from the environment');
  });
});

describe('backups:target', () => {
  const view = { url: 's3://b/p', endpoint: 'https://s3.example.com', region: 'us-east-1', accessKeyId: 'AKIA…' };
  const argv = ['backups:target', 's3://b/p', '--endpoint', 'https://s3.example.com'];

  it('reads the access key id and secret as two lines of standard input', async () => {
    srv.handler = (_q, res) => sendJson(res, 200, view);
    const r = await run([...argv, '--keys-stdin'], { stdin: 'AKIAFROMSTDIN\nsecret/from+stdin\n', env: { AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'envsecret' } });
    expect(r.code, r.stderr).toBe(0);
    expect(srv.seen[0]!.body).toEqual({ url: 's3://b/p', endpoint: 'https://s3.example.com', accessKeyId: 'AKIAFROMSTDIN', secretAccessKey: 'secret/from+stdin' });
    expect(r.stdout).toContain('Backups are copied to s3://b/p at https://s3.example.com (region us-east-1, key AKIA…)');
  });

  it('reads them from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY', async () => {
    srv.handler = (_q, res) => sendJson(res, 200, view);
    const r = await run(argv, { env: { AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'envsecret' } });
    expect(r.code, r.stderr).toBe(0);
    expect(srv.seen[0]!.body).toMatchObject({ accessKeyId: 'AKIAENV', secretAccessKey: 'envsecret' });
  });

  it('takes no key as a flag, and says where keys come from when none is given', async () => {
    const flagged = await run([...argv, '--secret-access-key', 'x']);
    expect(flagged.code).not.toBe(0);
    expect(srv.seen).toEqual([]);
    const none = await run(argv, { env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined } });
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('no keys given for the bucket');
    expect(none.stderr).toContain('set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pipe them (two lines) with --keys-stdin');
    const half = await run([...argv, '--keys-stdin'], { stdin: 'only-an-id\n' });
    expect(half.code).not.toBe(0);
    expect(half.stderr).toContain('--keys-stdin read no access key id and secret (two lines) from standard input');
    expect(srv.seen).toEqual([]);
  });
});
