// The request target: an absolute form (`GET http://host/path`) is read for its authority, and passed on as its origin form.
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i;

/** The authority of an absolute-form target, or undefined for any other form. */
export function targetAuthority(url: string): string | undefined {
  return ABSOLUTE.exec(url)?.[1];
}

/** The path and query of an origin- or absolute-form target, as the app gets it from any proxy; `/` for `*` or none. */
export function originForm(url: string | undefined): string {
  if (!url || url === '*') return '/';
  return url[0] === '/' ? url : url.replace(ABSOLUTE, '') || '/';
}
