// Test helper: the Docker engine and local base images `npm test` prepared (scripts/docker-engine.mjs), and its CLI.
import { execFileSync } from 'node:child_process';
// @ts-expect-error: a plain .mjs script shared with npm test, without type declarations
import { BASE_IMAGE_ENV, PRIVATE_HOST } from '../../scripts/docker-engine.mjs';

/**
 * DOCKER_HOST as `npm test` set it (or its private engine, for a test file run alone), with the
 * buildpacks' base images pointed at the local stand-ins. Tests that need an engine fail without one.
 */
export function dockerHost(): string {
  const host = process.env.DOCKER_HOST ?? (PRIVATE_HOST as string);
  process.env.DOCKER_HOST = host; // dockerode and the docker CLI read it
  for (const [k, v] of Object.entries(BASE_IMAGE_ENV as Record<string, string>)) process.env[k] ??= v;
  return host;
}

/** Runs the docker CLI against that engine; its output, trimmed. */
export function docker(...args: string[]): string {
  return execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: dockerHost() }, encoding: 'utf8', stdio: 'pipe' }).trim();
}
