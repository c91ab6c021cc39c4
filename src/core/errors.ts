// Errors: UserError is for the person who pushed or called; anything else is a bug.

/** A problem the user can fix. Rendered once at the CLI, API or git edge, never with a stack. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export class NotFoundError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, hint, 404);
    this.name = 'NotFoundError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

// Control characters, C1 controls, line/paragraph separators and bidi overrides: what could forge or hide output.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Untrusted text for a message: control characters replaced, cut at `max` characters. */
export function printable(text: string, max = 100): string {
  const s = text.length > max ? `${text.slice(0, max)}…` : text;
  return s.replace(UNPRINTABLE, '?');
}

/** A short rendering of a value read from an untrusted file (JSON-quoted), never more than `max` characters of it. */
export function excerpt(value: unknown, max = 40): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(value);
  } catch {
    s = undefined;
  }
  return printable(s ?? String(value), max);
}
