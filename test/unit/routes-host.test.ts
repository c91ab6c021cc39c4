import { describe, expect, it } from 'vitest';
import { normalizeHost } from '../../src/routes/index.ts';

describe('normalizeHost', () => {
  it('strips the port, lowercases and drops a trailing dot', () => {
    expect(normalizeHost('hello.localhost')).toBe('hello.localhost');
    expect(normalizeHost('hello.localhost:8080')).toBe('hello.localhost');
    expect(normalizeHost('Hello.LocalHost:80')).toBe('hello.localhost');
    expect(normalizeHost('hello.example.com.')).toBe('hello.example.com');
    expect(normalizeHost('hello.example.com.:443')).toBe('hello.example.com');
    expect(normalizeHost('localhost')).toBe('localhost');
    expect(normalizeHost('127.0.0.1:3000')).toBe('127.0.0.1');
    expect(normalizeHost('[::1]:8080')).toBe('[::1]');
  });

  it('rejects missing and malformed hosts', () => {
    for (const bad of [
      undefined, '', ' ', '.', '..', 'a..b', '.a', 'a/b', 'x@y', 'user@host.com', 'a b', 'a\tb',
      'host:', 'host:x', 'host:1:2', 'host:99999', '*.example.com', 'héllo.com', '[::1', '[::1]x', 'a'.repeat(64),
    ]) {
      expect(normalizeHost(bad), String(bad)).toBeNull();
    }
  });
});
