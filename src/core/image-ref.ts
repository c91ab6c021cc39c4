// Validating image references from users before they reach the engine.
import { UserError } from './errors.ts';

// `name[:tag][@digest]`, lowercase repository path with an optional registry host:port.
const REFERENCE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export function validateImageRef(ref: unknown): string {
  if (typeof ref !== 'string' || ref.length > 255 || !REFERENCE.test(ref)) {
    throw new UserError(`${JSON.stringify(ref)} is not an image reference`, 'e.g. `minicloud deploy my-app --image ghcr.io/me/app:1.2` (lowercase name, optional :tag or @sha256 digest)');
  }
  return ref;
}
