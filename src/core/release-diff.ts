// What a release is and how two differ, as the API shows them: config var names only, never a value.
import type { ReleaseDiff, ReleaseInfo, ReleaseSummary, ValueChange } from './api.ts';
import type { Release } from './types.ts';

/** Instances wanted per process type of `processes` (the `release` command runs no instance): the formation's, one each by default. */
export function wantedFormation(processes: Record<string, string>, formation: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(processes).filter((t) => t !== 'release').map((t) => [t, formation[t] ?? 1]));
}

export function releaseSummary({ config: _c, artifact, ...rel }: Release, current: number | null): ReleaseSummary {
  return { ...rel, buildpack: artifact.buildpack, current: rel.version === current };
}

/** A release in full, its config as names only (values are secrets; they stay in the store). */
export function releaseInfo(r: Release, current: number | null): ReleaseInfo {
  const a = r.artifact;
  return {
    ...releaseSummary(r, current),
    configKeys: Object.keys(r.config).sort(),
    processes: a.processes,
    manifest: a.manifest ?? {},
    image: a.origin ?? null,
  };
}

/**
 * What changed from `a` to `b`. Config values are compared here, on the server, and only the names leave it:
 * `changed` says a value differs, never what it was or became.
 */
export function diffReleases(a: Release, b: Release, current: number | null): ReleaseDiff {
  const ka = new Set(Object.keys(a.config));
  const kb = new Set(Object.keys(b.config));
  return {
    app: a.app,
    from: releaseInfo(a, current),
    to: releaseInfo(b, current),
    sameBuild: sameBuild(a, b),
    config: {
      added: [...kb].filter((k) => !ka.has(k)).sort(),
      removed: [...ka].filter((k) => !kb.has(k)).sort(),
      changed: [...ka].filter((k) => kb.has(k) && a.config[k] !== b.config[k]).sort(),
    },
    processes: changes(a.artifact.processes, b.artifact.processes),
    manifest: changes(flatten(a.artifact.manifest ?? {}), flatten(b.artifact.manifest ?? {})),
    formation: a.formation && b.formation ? changes(numbers(a.formation), numbers(b.formation)) : [],
  };
}

function sameBuild(a: Release, b: Release): boolean {
  const [x, y] = [a.artifact, b.artifact];
  return x.kind === y.kind && (x.kind === 'image' ? x.image === (y as typeof x).image : x.dir === (y as typeof x).dir);
}

const numbers = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));

/** Each name whose value differs, absent on one side as null; sorted by name. */
function changes(a: Record<string, string>, b: Record<string, string>): ValueChange[] {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return names.filter((n) => a[n] !== b[n]).map((n) => ({ name: n, from: a[n] ?? null, to: b[n] ?? null }));
}

/** `{expose: {port: 8080}}` → `{"expose.port": "8080"}`; a list is one value (`needs`, `cron` as their JSON). */
function flatten(o: object, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    const name = prefix + k;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) Object.assign(out, flatten(v, `${name}.`));
    else out[name] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}
