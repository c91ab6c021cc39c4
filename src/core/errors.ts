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
