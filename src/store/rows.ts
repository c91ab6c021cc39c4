// Mapping database rows to the core types.
import type { Artifact, Deploy, Instance, Release } from '../core/index.ts';

export type Row = Record<string, unknown>;

export function toInstance(r: Row): Instance & { handle: string | null } {
  return {
    id: r.id as string,
    app: r.app as string,
    release: r.release as number,
    type: r.type as string,
    host: r.host as string,
    port: r.port as number,
    pid: (r.pid as number | null) ?? null,
    handle: (r.handle as string | null) ?? null,
    state: r.state as Instance['state'],
    startedAt: r.started_at as string,
    restarts: r.restarts as number,
    nextRestartAt: (r.next_restart_at as string | null) ?? null,
  };
}

export type StoredInstance = ReturnType<typeof toInstance>;

export interface GithubLink { app: string; repo: string; branch: string; secret: string; token: string | null; createdAt: string }

export const toLink = (r: Row): GithubLink => ({
  app: r.app as string, repo: r.repo as string, branch: r.branch as string, secret: r.secret as string,
  token: (r.token as string | null) ?? null, createdAt: r.created_at as string,
});


export interface StoredAddon {
  app: string;
  kind: string;
  name: string;
  credentials: Record<string, string>;
  envKeys: string[];
  createdAt: string;
}

export const toAddon = (r: Row): StoredAddon => ({
  app: r.app as string, kind: r.kind as string, name: r.name as string,
  credentials: JSON.parse(r.credentials as string) as Record<string, string>,
  envKeys: JSON.parse(r.env_keys as string) as string[], createdAt: r.created_at as string,
});
