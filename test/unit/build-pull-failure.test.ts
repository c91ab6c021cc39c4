// A build failing to pull its base image says what can fix it: the network, a login, or the FROM line; never only "commit".
import { describe, expect, it } from 'vitest';
import { pullFailure } from '../../src/build/pull-failure.ts';

describe('pullFailure', () => {
  it('tells an unreachable registry (the network: no commit fixes it) from a missing or private image', () => {
    const down = pullFailure('Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.0.0.53:53: no such host');
    expect(down?.message).toContain('the registry did not answer');
    expect(down?.hint).toContain('no commit can fix this');
    const limited = pullFailure('toomanyrequests: You have reached your pull rate limit.');
    expect(limited?.hint).toContain('docker login');
    const missing = pullFailure("pull access denied for nosuch/image, repository does not exist or may require 'docker login': denied: requested access to the resource is denied");
    expect(missing?.message).toContain('no such image, or wants a login');
    expect(missing?.hint).toContain("FROM line");
    expect(pullFailure('manifest for node:99 not found: manifest unknown: manifest unknown')?.hint).toContain('FROM line');
  });

  it('leaves other failures alone, a RUN step talking of a registry too', () => {
    expect(pullFailure("The command '/bin/sh -c npm install' returned a non-zero code: 1")).toBeNull();
    expect(pullFailure('process "/bin/sh -c npm ci" did not complete successfully: registry.npmjs.org connection refused')).toBeNull();
    expect(pullFailure('COPY failed: file not found in build context')).toBeNull();
  });
});
