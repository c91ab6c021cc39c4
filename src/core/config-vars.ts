// Rules for config var changes beyond the name's syntax: what minicloud sets itself, and what a process environment can hold.
import { UserError } from './errors.ts';

/**
 * Set by minicloud for every instance, over any config var: a value would be silently ignored, so it is refused.
 * Variables that change how a process loads code (LD_PRELOAD, LD_LIBRARY_PATH, NODE_OPTIONS, PYTHONPATH, PATH, ...)
 * are allowed: they reach only the app's own processes (instances, one-offs, cron, release phase, host build steps),
 * and whoever may set config may also push code that does the same. See the README's Security section.
 */
const SET_BY_MINICLOUD: Record<string, { why: string; hint: string }> = {
  PORT: {
    why: 'minicloud sets PORT for each instance: it is the port the router sends that instance its requests on',
    hint: 'listen on $PORT; a Docker image that must use a fixed port says so with `expose: { port: N }` in cloud_manifest.yml',
  },
  DYNO: {
    why: 'minicloud sets DYNO for each instance to its process type and id (e.g. web.1a2b3c4d)',
    hint: 'use another name for your own variable',
  },
};

/** Heroku's limit for all of an app's config vars together; a process environment must also stay far below ARG_MAX. */
export const MAX_CONFIG_BYTES = 32 * 1024;

/** Checks a change of config vars (value: set; null: unset) against the app's `current` ones. */
export function checkConfigChanges(current: Record<string, string>, changes: Record<string, string | null>): void {
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) continue; // unsetting is always allowed, so an app set up before these rules can be repaired
    const rule = SET_BY_MINICLOUD[key];
    if (rule) throw new UserError(`${key} cannot be set: ${rule.why}`, rule.hint);
    if (value.includes('\0')) throw new UserError(`config var ${key} holds a NUL byte, which no process environment can carry`, 'remove it from the value');
  }
  const next = { ...current, ...changes };
  const size = Object.entries(next).reduce((n, [k, v]) => (v === null ? n : n + Buffer.byteLength(k) + Buffer.byteLength(v) + 2), 0);
  if (size > MAX_CONFIG_BYTES) {
    throw new UserError(
      `the app's config vars would take ${size} bytes; the limit is ${MAX_CONFIG_BYTES} (as on Heroku)`,
      'keep large values (certificates, JSON documents) in files or a storage volume and put their path in a config var',
    );
  }
}
