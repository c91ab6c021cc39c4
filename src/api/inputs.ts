// What a request says, checked once at the edge: route parameters and bodies into the typed inputs the services take.
// Each parser throws a UserError naming what is wrong; no service takes `unknown`.
import type { Request } from 'express';
import { UserError, validateConfigKey, validateNewAppName } from '../core/index.ts';
import type { SleepInput } from '../processes/index.ts';

/** The `:app` of the route (the services look it up, and answer 404 for an unknown app). */
export const appParam = (req: Request): string => String(req.params.app);

/** Another named route parameter: `:id`, `:kind`, `:name`. */
export const param = (req: Request, name: string): string => String(req.params[name]);

/** `?confirm=<app>` of a destructive call, as sent (the service compares it with the app's name). */
export const confirmParam = (req: Request): string | undefined => (typeof req.query.confirm === 'string' ? req.query.confirm : undefined);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{"name": "my-app"}` of POST /apps. */
export function parseNewAppName(body: unknown): string {
  return validateNewAppName(isObject(body) ? body.name : undefined);
}

/** `{"FOO": "bar", "OLD": null}`: sets and unsets. */
export function parseConfigChanges(body: unknown, app: string): Record<string, string | null> {
  if (!isObject(body) || Object.keys(body).length === 0) {
    throw new UserError('send an object of config vars, e.g. {"FOO": "bar"} (null unsets)', `try \`minicloud config:set ${app} FOO=bar\``);
  }
  const changes: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(body)) {
    validateConfigKey(k);
    if (v !== null && typeof v !== 'string') throw new UserError(`config var ${k} must be a string or null`);
    changes[k] = v;
  }
  return changes;
}

/** `{"web": 2, "worker": 0}`: counts per process type (the formation checks the types and the range). */
export function parseScale(body: unknown, app: string): Record<string, number> {
  if (!isObject(body) || Object.keys(body).length === 0) throw new UserError('send the counts per process type, e.g. {"web": 2}', `try \`minicloud ps:scale ${app} web=2\``);
  for (const [type, n] of Object.entries(body)) {
    if (typeof n !== 'number') throw new UserError(`${type}=${JSON.stringify(n)}: the count must be a whole number`, `try \`minicloud ps:scale ${app} ${type}=1\``);
  }
  return body as Record<string, number>;
}

/** `{"afterSeconds": 900}`, `{"afterSeconds": null}` or `{"now": true}` of PUT /apps/:app/sleep (the service checks the range). */
export function parseSleep(body: unknown, app: string): SleepInput {
  const b = isObject(body) ? body : {};
  const after = b.afterSeconds;
  if (after !== undefined && after !== null && typeof after !== 'number') {
    throw new UserError('afterSeconds must be null (never sleep) or whole seconds', `e.g. \`minicloud apps:sleep ${app} 15m\``);
  }
  return { ...(after !== undefined && { afterSeconds: after }), now: b.now === true };
}

/** `{"version": 3}` of a rollback, or nothing: the release before the current. */
export function parseRollback(body: unknown, app: string): number | undefined {
  const version = isObject(body) ? body.version : undefined;
  if (version !== undefined && (typeof version !== 'number' || !Number.isInteger(version) || version < 1)) {
    throw new UserError('version must be a release number such as 3', `see \`minicloud releases ${app}\``);
  }
  return version;
}

/** `{"command": "node -v"}` of a one-off run. */
export function parseRunCommand(body: unknown, app: string): string {
  const command = isObject(body) ? body.command : undefined;
  if (typeof command !== 'string' || !command.trim()) throw new UserError('send the command to run', `e.g. \`minicloud run ${app} -- node -v\``);
  return command;
}
