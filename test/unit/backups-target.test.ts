// The off-box target's input: an s3:// URL, an endpoint and keys, each wrong one refused with what to do; the view
// the API shows never holds the secret key.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { TargetFile, parseTargetInput, parseTargetUrl, viewOf } from '../../src/backups/index.ts';

const good = { url: 's3://my-bucket/minicloud/prod/', endpoint: 'https://s3.example.com/', accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'very/secret+key' };

it('parses bucket and prefix, and refuses what S3 or minicloud would not take', () => {
  expect(parseTargetUrl('s3://my-bucket')).toEqual({ bucket: 'my-bucket', prefix: '' });
  expect(parseTargetUrl('s3://my-bucket/a/b/')).toEqual({ bucket: 'my-bucket', prefix: 'a/b' });
  expect(() => parseTargetUrl('https://my-bucket/x')).toThrow(/is not an s3:\/\/bucket\/prefix URL/);
  expect(() => parseTargetUrl('s3://My_Bucket/x')).toThrow(/not a valid bucket name/);
  expect(() => parseTargetUrl('s3://my-bucket/a/../b')).toThrow(/not a valid prefix/);
  expect(() => parseTargetUrl('s3://my-bucket/a//b')).toThrow(/not a valid prefix/);
});

it('checks the endpoint, region and keys', () => {
  const t = parseTargetInput(good);
  expect(t).toMatchObject({ url: 's3://my-bucket/minicloud/prod', bucket: 'my-bucket', prefix: 'minicloud/prod', endpoint: 'https://s3.example.com', region: 'us-east-1' });
  expect(() => parseTargetInput({ ...good, endpoint: 'ftp://x' })).toThrow(/is not http\(s\)/);
  expect(() => parseTargetInput({ ...good, endpoint: 'not a url' })).toThrow(/is not a URL/);
  expect(() => parseTargetInput({ ...good, endpoint: 'https://k:s@s3.example.com' })).toThrow(/may not carry credentials/);
  expect(() => parseTargetInput({ ...good, region: 'Eu Central' })).toThrow(/region "Eu Central" is not valid/);
  expect(() => parseTargetInput({ ...good, secretAccessKey: '' })).toThrow(/access key id and a secret access key are needed/);
  expect(() => parseTargetInput({ ...good, accessKeyId: 'a b' })).toThrow(/access key id and a secret access key are needed/);
  expect(() => parseTargetInput(null)).toThrow(/is not an s3:\/\/bucket\/prefix URL/);
});

it('keeps the target in a 0600 file and shows it without the secret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-target-'));
  try {
    const f = new TargetFile(join(dir, 'backup-target.json'));
    expect(f.get()).toBeNull();
    f.set(parseTargetInput(good));
    expect(statSync(join(dir, 'backup-target.json')).mode & 0o777).toBe(0o600);
    const view = viewOf(f.get()!);
    expect(view).toEqual({ url: 's3://my-bucket/minicloud/prod', endpoint: 'https://s3.example.com', region: 'us-east-1', accessKeyId: 'AKIA…' });
    expect(JSON.stringify(view)).not.toContain('secret');
    expect(f.remove()).toBe(true);
    expect(f.get()).toBeNull();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
